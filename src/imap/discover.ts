// Finds an account's mailboxes and their roles by SPECIAL-USE (RFC 6154), never by name, and
// decides which ones are synced: INBOX, \Sent, \Archive, \All, plus includes, minus excludes.
import type { ImapFlow } from 'imapflow';
import picomatch from 'picomatch';
import type { FolderSelection } from '../config/load.js';

export interface MailboxInfo {
  path: string;
  delimiter: string | null;
  /** `\Inbox`, or an RFC 6154 special-use flag the server advertised (or the config named). */
  specialUse: string | null;
  selectable: boolean;
}

/** The roles synced without being asked: the mail the user received, sent, and filed. */
const DEFAULT_ROLES = new Set(['\\Inbox', '\\Sent', '\\Archive', '\\All']);

export async function listMailboxes(client: ImapFlow, folders: FolderSelection): Promise<MailboxInfo[]> {
  const listed = await client.list();
  const byConfig = new Map<string, string>();
  if (folders.sent) byConfig.set(folders.sent, '\\Sent');
  if (folders.drafts) byConfig.set(folders.drafts, '\\Drafts');
  if (folders.archive) byConfig.set(folders.archive, '\\Archive');
  return listed.map((box) => {
    const isInbox = box.path.toUpperCase() === 'INBOX';
    // imapflow also guesses roles from well-known names; a guess is not a server's word, so
    // only flags the server sent (source "extension") count. The config can name the rest.
    const advertised = box.specialUseSource === 'extension' ? (box.specialUse ?? null) : null;
    return {
      path: box.path,
      delimiter: box.delimiter || null,
      specialUse: isInbox ? '\\Inbox' : (byConfig.get(box.path) ?? advertised),
      selectable: !box.flags.has('\\Noselect') && !box.flags.has('\\NonExistent'),
    };
  });
}

export interface Selection {
  selected: MailboxInfo[];
  /** Mailboxes not synced, with why (shown by `sync --verbose` and `status`). */
  skipped: { path: string; reason: string }[];
}

/** Globs match the path with "/" between levels, whatever the server's delimiter is. */
export function selectMailboxes(all: MailboxInfo[], folders: FolderSelection): Selection {
  const include = folders.include.length ? picomatch(folders.include) : () => false;
  const exclude = folders.exclude.length ? picomatch(folders.exclude) : () => false;
  const selected: MailboxInfo[] = [];
  const skipped: Selection['skipped'] = [];
  for (const box of all) {
    const slashed = box.delimiter && box.delimiter !== '/' ? box.path.split(box.delimiter).join('/') : box.path;
    if (!box.selectable) skipped.push({ path: box.path, reason: 'not selectable (\\Noselect)' });
    else if (exclude(slashed)) skipped.push({ path: box.path, reason: 'excluded by folders.exclude' });
    else if (box.specialUse && DEFAULT_ROLES.has(box.specialUse)) selected.push(box);
    else if (include(slashed)) selected.push(box);
    else
      skipped.push({
        path: box.path,
        reason: box.specialUse
          ? `role ${box.specialUse} is not synced by default`
          : 'not selected (add it to folders.include)',
      });
  }
  return { selected, skipped };
}
