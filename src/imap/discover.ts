// Finds an account's mailboxes and their roles by SPECIAL-USE (RFC 6154), never by name, and
// decides which ones are synced: INBOX, \Sent, \Archive, \All, plus includes, minus excludes.
import type { ImapFlow, StatusObject, StatusQuery } from 'imapflow';
import picomatch from 'picomatch';
import type { FolderSelection } from '../config/load.js';

export interface MailboxInfo {
  path: string;
  delimiter: string | null;
  /** `\Inbox`, or an RFC 6154 special-use flag the server advertised (or the config named). */
  specialUse: string | null;
  selectable: boolean;
  /** The personal namespace's prefix (RFC 2342), e.g. "INBOX." on Courier/cPanel; "" or absent when none. */
  namespace?: string | undefined;
  /** The mailbox's STATUS, when the listing asked for it (LIST-STATUS, RFC 5819; see mailbox-status.ts). */
  status?: StatusObject | undefined;
}

/** The roles synced without being asked: the mail the user received, sent, and filed. */
const DEFAULT_ROLES = new Set(['\\Inbox', '\\Sent', '\\Archive', '\\All']);

/**
 * Every mailbox the server lists (LIST, RFC 3501 §6.3.8) with its role: `\Inbox`, the special
 * use the server advertised (RFC 6154), or the one `folders.sent|drafts|archive` names (matched
 * as the user sees the path: with or without the namespace prefix, with "/" or the server's
 * delimiter). With `statusQuery`, each mailbox carries its STATUS from the same LIST (only
 * ask when the server has LIST-STATUS: imapflow otherwise sends one STATUS per mailbox).
 * Throws what imapflow throws on a failed LIST.
 */
export async function listMailboxes(
  client: ImapFlow,
  folders: FolderSelection,
  statusQuery?: StatusQuery,
): Promise<MailboxInfo[]> {
  const listed = await client.list(statusQuery ? { statusQuery } : undefined);
  const namespace = client.namespace?.prefix ?? '';
  const boxes: MailboxInfo[] = listed.map((box) => {
    const isInbox = box.path.toUpperCase() === 'INBOX';
    // imapflow also guesses roles from well-known names; a guess is not a server's word, so
    // only flags the server sent (source "extension") count. The config can name the rest.
    const advertised = box.specialUseSource === 'extension' ? (box.specialUse ?? null) : null;
    return {
      path: box.path,
      delimiter: box.delimiter || null,
      specialUse: isInbox ? '\\Inbox' : advertised,
      selectable: !box.flags.has('\\Noselect') && !box.flags.has('\\NonExistent'),
      ...(namespace ? { namespace } : {}),
      ...(box.status && !('error' in box.status) ? { status: box.status } : {}),
    };
  });
  const configured: [string | undefined, string][] = [
    [folders.sent, '\\Sent'],
    [folders.drafts, '\\Drafts'],
    [folders.archive, '\\Archive'],
  ];
  for (const [name, role] of configured) {
    if (!name) continue;
    // An exact path wins over the same name seen without the prefix ("INBOX.Sent" vs "Sent").
    const fallback = courierPrefix(boxes);
    const box =
      boxes.find((b) => b.path === name) ?? boxes.find((b) => userPaths(b, fallback).includes(slash(name, b)));
    if (box && !(box.specialUse === '\\Inbox')) box.specialUse = role;
  }
  return boxes;
}

export interface Selection {
  selected: MailboxInfo[];
  /** Mailboxes not synced, with why (shown by `sync --verbose` and `status`). */
  skipped: { path: string; reason: string }[];
  /** include/exclude globs that match no mailbox at all: almost always a typo or a wrong path. */
  unmatched: UnmatchedGlob[];
  /** The sent-mail folder left out by folders.exclude: the dataset then has no replies to learn from. */
  excludedSent: ExcludedSent[];
}

/**
 * folders.exclude names the account's sent-mail folder (its `\Sent` special use, RFC 6154, or the
 * configured folders.sent): every reply the user wrote is there, so excluding it silently removes all
 * training data (and sync drops what it had stored of it).
 */
export interface ExcludedSent {
  /** The mailbox's path on the server (or, without a server, the name a glob matched). */
  path: string;
  /** The folders.exclude globs that match it. */
  globs: string[];
  /** One line for humans: what is excluded and what that does. */
  message: string;
  /** What to change in the config. */
  fix: string;
}

/** The warning for `globs` excluding the sent folder `path` (shown by sync, dataset build and config check). */
export function excludedSentWarning(path: string, globs: string[]): ExcludedSent {
  const list = globs.map((g) => `"${g}"`).join(', ');
  return {
    path,
    globs,
    message: `folders.exclude ${list} excludes ${path}, your sent-mail folder: the replies you wrote are there, so the dataset gets no training examples from this account`,
    fix: `remove ${list} from [accounts.folders] exclude (to keep some people's mail out of training, use [privacy] instead: understudy privacy exclude ADDRESS)`,
  };
}

export interface UnmatchedGlob {
  key: 'folders.include' | 'folders.exclude';
  glob: string;
  /** The mailboxes that exist, as the user sees them ("/" between levels, no namespace prefix). */
  mailboxes: string[];
  /** One line for humans: the key, the glob, what exists. */
  message: string;
}

/**
 * Which mailboxes are synced. Globs (picomatch) match a mailbox's path as the user sees it:
 * "/" or the server's delimiter between levels, with or without the personal namespace prefix
 * ("Archive", "Archive/**", "INBOX/Archive" and "INBOX.Archive" all name `INBOX.Archive` on a
 * server with `NAMESPACE (("INBOX." "."))`), INBOX in any case. `[`, `]`, `(` and `)` are
 * literal, because folder names such as "[Gmail]/All Mail" use them far more than globs do.
 */
export function selectMailboxes(all: MailboxInfo[], folders: FolderSelection): Selection {
  const include = folders.include.map((g) => globMatcher(g));
  const exclude = folders.exclude.map((g) => globMatcher(g));
  const hits = { include: new Set<number>(), exclude: new Set<number>() };
  const selected: MailboxInfo[] = [];
  const skipped: Selection['skipped'] = [];
  const excludedSent: ExcludedSent[] = [];
  const matches = (list: GlobMatcher[], which: keyof typeof hits, box: MailboxInfo, names: string[]) => {
    let any = false;
    list.forEach((m, i) => {
      if (m(box, names)) {
        hits[which].add(i);
        any = true;
      }
    });
    return any;
  };
  const fallback = courierPrefix(all);
  for (const box of all) {
    const names = userPaths(box, fallback);
    // Evaluated for every mailbox (not short-circuited), so that unmatched globs are exact.
    const excluded = matches(exclude, 'exclude', box, names);
    const included = matches(include, 'include', box, names);
    if (!box.selectable) skipped.push({ path: box.path, reason: 'not selectable (\\Noselect)' });
    else if (excluded) {
      skipped.push({ path: box.path, reason: 'excluded by folders.exclude' });
      if (box.specialUse === '\\Sent')
        excludedSent.push(
          excludedSentWarning(
            box.path,
            folders.exclude.filter((_, i) => exclude[i]?.(box, names)),
          ),
        );
    } else if (box.specialUse && DEFAULT_ROLES.has(box.specialUse)) selected.push(box);
    else if (included) selected.push(box);
    else
      skipped.push({
        path: box.path,
        reason: box.specialUse
          ? `role ${box.specialUse} is not synced by default`
          : 'not selected (add it to folders.include)',
      });
  }
  const shown = all.map((b) => userPaths(b, fallback).at(-1) ?? b.path);
  const unmatched: UnmatchedGlob[] = [];
  const report = (key: UnmatchedGlob['key'], globs: string[], hit: Set<number>) =>
    globs.forEach((glob, i) => {
      if (hit.has(i)) return;
      const list = shown.length > 40 ? [...shown.slice(0, 40), `… ${shown.length - 40} more`] : shown;
      unmatched.push({
        key,
        glob,
        mailboxes: shown,
        message: `${key} "${glob}" matches no mailbox; the server has: ${list.join(', ') || '(none)'}`,
      });
    });
  report('folders.include', folders.include, hits.include);
  report('folders.exclude', folders.exclude, hits.exclude);
  return { selected, skipped, unmatched, excludedSent };
}

/**
 * Names a sent-mail folder has on common servers (Dovecot, Exchange, Apple, Gmail, Courier/cPanel): RFC 6154
 * fixes the role, not the name. Only for guessing without a server (dataset build); sync goes by the role.
 */
const COMMON_SENT_NAMES = ['Sent', 'Sent Items', 'Sent Messages', 'Sent Mail', '[Gmail]/Sent Mail', 'INBOX.Sent'];

/**
 * Without asking the server: the folders.exclude globs that match the configured folders.sent or a common
 * sent-folder name (COMMON_SENT_NAMES), as an ExcludedSent warning (for the first name matched; none when no glob matches). For `dataset build`,
 * which works offline, when the store holds no `\Sent` mailbox for the account.
 */
export function excludedSentByName(folders: FolderSelection): ExcludedSent[] {
  if (folders.exclude.length === 0) return [];
  const names = folders.sent ? [folders.sent] : COMMON_SENT_NAMES;
  const out: ExcludedSent[] = [];
  for (const name of names) {
    const delimiter = name.startsWith('INBOX.') ? '.' : '/';
    const box: MailboxInfo = { path: name, delimiter, specialUse: '\\Sent', selectable: true };
    const selection = selectMailboxes([box], { include: [], exclude: folders.exclude });
    for (const x of selection.excludedSent) {
      const list = x.globs.map((g) => `"${g}"`).join(', ');
      out.push({
        ...x,
        message: `no sent-mail folder of this account is synced, and folders.exclude ${list} matches "${name}"${folders.sent ? ' (folders.sent)' : ', the usual name of one'}: the replies you wrote are there, so the dataset gets no training examples from this account`,
      });
    }
    if (out.length) break; // one warning: the first name a glob matches
  }
  return out;
}

type GlobMatcher = (box: MailboxInfo, names: string[]) => boolean;

/** A glob's matcher; the glob is read with "/" and, per mailbox, with its delimiter between levels. */
function globMatcher(glob: string): GlobMatcher {
  const compiled = new Map<string, (s: string) => boolean>();
  const compile = (pattern: string) => {
    let m = compiled.get(pattern);
    if (!m) {
      // "/Archive/" means "Archive"; NFC because clients on macOS create names in NFD.
      const tidy = pattern.normalize('NFC').replace(/^\/+|\/+$/g, '');
      m = picomatch(inboxUpper(literalBrackets(tidy)), { dot: true });
      compiled.set(pattern, m);
    }
    return m;
  };
  return (box, names) => {
    const patterns = [glob];
    if (box.delimiter && box.delimiter !== '/' && glob.includes(box.delimiter))
      patterns.push(glob.split(box.delimiter).join('/'));
    return patterns.some((p) => names.some((n) => compile(p)(n)));
  };
}

/** Brackets and parentheses as literal characters (escaped for picomatch). */
function literalBrackets(glob: string): string {
  return glob.replace(/[[\]()]/g, (c) => `\\${c}`);
}

/** "inbox/…" → "INBOX/…": INBOX is case-insensitive (RFC 3501 §5.1), other names are not. */
function inboxUpper(path: string): string {
  return /^inbox(\/|$)/i.test(path) ? `INBOX${path.slice(5)}` : path;
}

/** `path` with `box`'s delimiter replaced by "/" (when the delimiter is something else). */
function slash(path: string, box: MailboxInfo): string {
  const d = box.delimiter;
  return inboxUpper((d && d !== '/' ? path.split(d).join('/') : path).normalize('NFC'));
}

/**
 * The names a user may know a mailbox by, "/" between levels: the full path, and the path
 * without the personal namespace prefix (the server's NAMESPACE answer, else `fallback`).
 * The last name is the one clients show.
 */
function userPaths(box: MailboxInfo, fallback: string): string[] {
  const full = slash(box.path, box);
  const prefix = box.namespace || fallback;
  if (prefix && box.path.length > prefix.length && box.path.toUpperCase().startsWith(prefix.toUpperCase()))
    return [full, slash(box.path.slice(prefix.length), box)];
  return [full];
}

/** "INBOX" + delimiter when every other mailbox lives under INBOX (Courier without NAMESPACE), else "". */
function courierPrefix(all: MailboxInfo[]): string {
  const inbox = all.find((b) => b.path.toUpperCase() === 'INBOX');
  const d = inbox?.delimiter;
  if (!d || all.some((b) => b.namespace)) return '';
  const under = `INBOX${d}`;
  const others = all.filter((b) => b !== inbox);
  return others.length > 0 && others.every((b) => b.path.toUpperCase().startsWith(under)) ? under : '';
}
