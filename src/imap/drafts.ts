// The Drafts mailbox: find it by SPECIAL-USE, APPEND a draft, find ours again by its header,
// look at one draft (checking UIDVALIDITY first), and remove one of ours only while it is
// exactly as we wrote it.
import type { ImapFlow, SearchObject } from 'imapflow';
import type { FolderSelection } from '../config/load.js';
import { listMailboxes } from './discover.js';
import { ImapError } from './errors.js';

/** Our marker header; its value is the draft's key in the outbox. */
export const DRAFT_HEADER = 'X-Understudy-Draft';

/** Flags we append with (plus \Recent, which the server sets): anything else is the user's doing. */
const OUR_FLAGS = new Set(['\\draft', '\\seen', '\\recent']);

/**
 * The path of the mailbox the server flags `\Drafts` (RFC 6154), or the one `folders.drafts` names.
 * @throws ImapError MAILBOX_UNAVAILABLE (final) when there is none, with the config fix.
 */
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
 * the server answers APPENDUID, which gives the new UID at once; without it `uid` is null and
 * the caller finds the draft by its header.
 * @throws ImapError SERVER_REFUSED (final) when the server answers NO.
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

/** UIDs (ascending) of messages in `mailbox` carrying our header with `key` (RFC 3501 SEARCH HEADER). */
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

/**
 * Drafts in `mailbox` that answer one of `messageIds` (their In-Reply-To or References name it)
 * and do not carry our header with a key in `ours`: a reply the user is writing there (one they
 * started, or ours saved again by a client that dropped our header).
 */
export async function userDraftsAnswering(
  client: ImapFlow,
  mailbox: string,
  messageIds: readonly string[],
  ours: ReadonlySet<string>,
): Promise<number[]> {
  const ids = [...new Set(messageIds.filter(Boolean))];
  if (!ids.length) return [];
  const lock = await client.getMailboxLock(mailbox);
  try {
    const criteria = ids.flatMap((id): SearchObject[] => [
      { header: { 'in-reply-to': id } as Record<string, string> },
      { header: { references: id } as Record<string, string> },
    ]);
    const found = (await client.search({ or: criteria }, { uid: true })) || [];
    if (!found.length) return [];
    const out: number[] = [];
    for await (const m of client.fetch(found.join(','), { uid: true, headers: [DRAFT_HEADER] }, { uid: true })) {
      const key = draftKeyIn(m.headers);
      if (!key || !ours.has(key)) out.push(m.uid);
    }
    return out.sort((a, b) => a - b);
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

function draftKeyIn(headers: Buffer | undefined): string | null {
  return headers?.toString('utf8').match(/x-understudy-draft:\s*(\S+)/i)?.[1] ?? null;
}

/** What `client` holds at `uid` in the selected mailbox, or null. Call with the mailbox locked. */
async function fetchOne(client: ImapFlow, uid: number): Promise<DraftOnServer | null> {
  for await (const m of client.fetch(
    String(uid),
    { uid: true, size: true, flags: true, headers: [DRAFT_HEADER] },
    { uid: true },
  )) {
    if (m.uid !== uid) continue;
    return { uid, size: m.size ?? 0, key: draftKeyIn(m.headers), flags: [...(m.flags ?? [])] };
  }
  return null;
}

/**
 * What the server holds at `uid` in `mailbox`, or null when it is gone (sent, deleted, moved, or
 * re-saved by the user), or when the mailbox's UIDVALIDITY is no longer `uidValidity`: a UID is
 * only meaningful together with the UIDVALIDITY it was given under (RFC 3501 §2.3.1.1).
 */
export async function draftAt(
  client: ImapFlow,
  mailbox: string,
  uid: number,
  uidValidity: number | null,
): Promise<DraftOnServer | null> {
  const lock = await client.getMailboxLock(mailbox);
  try {
    if (!sameUidValidity(client, uidValidity)) return null;
    return await fetchOne(client, uid);
  } finally {
    lock.release();
  }
}

function sameUidValidity(client: ImapFlow, expected: number | null): boolean {
  const box = client.mailbox;
  return expected === null || (box !== false && Number(box.uidValidity) === expected);
}

/** True when a draft is exactly as we appended it: our key, our size, only the flags we set. */
export function untouched(d: DraftOnServer, key: string, size: number): boolean {
  return d.key === key && d.size === size && d.flags.every((f) => OUR_FLAGS.has(f.toLowerCase()));
}

/** The user's own flags or keywords on a draft (what makes an unchanged draft "touched"). */
export function userFlags(d: DraftOnServer): string[] {
  return d.flags.filter((f) => !OUR_FLAGS.has(f.toLowerCase()) && f !== '\\Deleted');
}

/**
 * Removes one of our drafts, only if it is still exactly what we appended: same UIDVALIDITY and
 * UID, our key, same size, no flag or keyword the user added. Checked and removed while the
 * mailbox is selected once (IMAP select, RFC 3501 §6.3.1), so the UID cannot change meaning in
 * between. With UIDPLUS only that UID is expunged (UID EXPUNGE, RFC 4315); without it the
 * draft is only flagged \Deleted, because a plain EXPUNGE would also remove messages the user
 * flagged.
 */
export async function removeOwnDraft(
  client: ImapFlow,
  where: { mailbox: string; uidValidity: number | null; uid: number },
  key: string,
  size: number,
): Promise<'removed' | 'flagged' | 'changed' | 'gone'> {
  const lock = await client.getMailboxLock(where.mailbox);
  try {
    if (!sameUidValidity(client, where.uidValidity)) return 'gone';
    const current = await fetchOne(client, where.uid);
    if (!current) return 'gone';
    if (!untouched(current, key, size)) return 'changed';
    if (client.capabilities.has('UIDPLUS')) {
      await client.messageDelete(String(where.uid), { uid: true });
      return 'removed';
    }
    await client.messageFlagsAdd(String(where.uid), ['\\Deleted'], { uid: true });
    return 'flagged';
  } finally {
    lock.release();
  }
}
