// The Drafts mailbox: find it by SPECIAL-USE, APPEND a draft, find ours again by its header,
// and remove one of ours only while it is exactly as we wrote it.
import type { ImapFlow } from 'imapflow';
import type { FolderSelection } from '../config/load.js';
import { listMailboxes } from './discover.js';
import { ImapError } from './errors.js';

/** Our marker header; its value is the draft's key in the outbox. */
export const DRAFT_HEADER = 'X-Understudy-Draft';

export async function findDraftsMailbox(client: ImapFlow, folders: FolderSelection): Promise<string> {
  const boxes = await listMailboxes(client, folders);
  const drafts = boxes.find((b) => b.specialUse === '\\Drafts' && b.selectable);
  if (!drafts) {
    throw new ImapError(
      'MAILBOX_UNAVAILABLE',
      'final',
      'the server names no mailbox \\Drafts (RFC 6154 SPECIAL-USE)',
      'set folders.drafts = "Drafts" (your drafts folder) for this account',
    );
  }
  return drafts.path;
}

export interface AppendedDraft {
  mailbox: string;
  uid: number | null;
  uidValidity: number | null;
}

/**
 * APPEND with \Draft \Seen; the internal date is left to the server. With UIDPLUS (RFC 4315)
 * the server answers APPENDUID, which gives the new UID at once.
 */
export async function appendDraft(client: ImapFlow, mailbox: string, raw: Buffer): Promise<AppendedDraft> {
  const result = await client.append(mailbox, raw, ['\\Draft', '\\Seen']);
  if (!result)
    throw new ImapError(
      'SERVER_REFUSED',
      'final',
      `the server refused the draft in ${mailbox}`,
      'check that the drafts folder accepts new messages',
    );
  return {
    mailbox,
    uid: typeof result.uid === 'number' ? result.uid : null,
    uidValidity: result.uidValidity !== undefined ? Number(result.uidValidity) : null,
  };
}

/** UIDs of messages in `mailbox` carrying our header with `key` (RFC 3501 SEARCH HEADER). */
export async function findDraftByKey(
  client: ImapFlow,
  mailbox: string,
  key: string,
): Promise<{ uids: number[]; uidValidity: number }> {
  const lock = await client.getMailboxLock(mailbox);
  try {
    const found = await client.search({ header: { [DRAFT_HEADER.toLowerCase()]: key } }, { uid: true });
    const box = client.mailbox;
    return { uids: (found || []).sort((a, b) => a - b), uidValidity: box ? Number(box.uidValidity) : 0 };
  } finally {
    lock.release();
  }
}

export interface DraftOnServer {
  uid: number;
  size: number;
  key: string | null;
  flags: string[];
}

/** What the server holds at `uid` in `mailbox`, or null when it is gone (sent, deleted, moved, or re-saved by the user). */
export async function draftAt(client: ImapFlow, mailbox: string, uid: number): Promise<DraftOnServer | null> {
  const lock = await client.getMailboxLock(mailbox);
  try {
    for await (const m of client.fetch(
      String(uid),
      { uid: true, size: true, flags: true, headers: [DRAFT_HEADER] },
      { uid: true },
    )) {
      if (m.uid !== uid) continue;
      const header = m.headers?.toString('utf8') ?? '';
      const key = header.match(/x-understudy-draft:\s*(\S+)/i)?.[1] ?? null;
      return { uid, size: m.size ?? 0, key, flags: [...(m.flags ?? [])] };
    }
    return null;
  } finally {
    lock.release();
  }
}

/**
 * Removes one of our drafts, only if it is still exactly what we appended: same UID, our key,
 * same size. Never a draft the user edited (clients save an edit as a new message) or moved.
 * With UIDPLUS only that UID is expunged (UID EXPUNGE); without it the draft is only flagged
 * \Deleted, because a plain EXPUNGE would also remove messages the user flagged.
 */
export async function removeOwnDraft(
  client: ImapFlow,
  mailbox: string,
  uid: number,
  key: string,
  size: number,
): Promise<'removed' | 'flagged' | 'changed' | 'gone'> {
  const current = await draftAt(client, mailbox, uid);
  if (!current) return 'gone';
  if (current.key !== key || current.size !== size) return 'changed';
  const lock = await client.getMailboxLock(mailbox);
  try {
    if (client.capabilities.has('UIDPLUS')) {
      await client.messageDelete(String(uid), { uid: true });
      return 'removed';
    }
    await client.messageFlagsAdd(String(uid), ['\\Deleted'], { uid: true });
    return 'flagged';
  } finally {
    lock.release();
  }
}
