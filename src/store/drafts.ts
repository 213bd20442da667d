// Typed queries for the drafts outbox.
import { type Db, stmt } from './db.js';

export type DraftState = 'planned' | 'appended' | 'superseded' | 'sent' | 'discarded' | 'failed';

export interface DraftRow {
  id: number;
  account_id: number;
  draft_key: string;
  message_id: string;
  parent_message_id: string | null;
  parent_content: number | null;
  thread_key: string;
  state: DraftState;
  reason: string | null;
  mailbox: string | null;
  uidvalidity: number | null;
  uid: number | null;
  raw: Buffer | null;
  body: string;
  mode: 'model' | 'cold_start';
  model_version: number | null;
  generation: string | null;
  feedback: string | null;
  created_at: number;
  updated_at: number;
}

export type NewDraft = Pick<
  DraftRow,
  | 'account_id'
  | 'draft_key'
  | 'message_id'
  | 'parent_message_id'
  | 'parent_content'
  | 'thread_key'
  | 'raw'
  | 'body'
  | 'mode'
  | 'model_version'
  | 'generation'
>;

/** One INSERT for both kinds of row: a planned draft (its message) or a refused one (why). */
function insertDraft(
  db: Db,
  d: Omit<NewDraft, 'raw'>,
  state: 'planned' | 'failed',
  raw: Buffer | null,
  reason: string | null,
): DraftRow {
  const now = Date.now();
  const row = stmt<unknown[], DraftRow>(
    db,
    `INSERT INTO drafts (account_id, draft_key, message_id, parent_message_id, parent_content, thread_key, state, reason, raw, body, mode, model_version, generation, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  ).get(
    d.account_id,
    d.draft_key,
    d.message_id,
    d.parent_message_id,
    d.parent_content,
    d.thread_key,
    state,
    reason,
    raw,
    d.body,
    d.mode,
    d.model_version,
    d.generation,
    now,
    now,
  );
  if (!row) throw new Error('could not record the draft');
  return row;
}

/** Order is important: this row is committed before the APPEND it describes is attempted. */
export function planDraft(db: Db, d: NewDraft): DraftRow {
  return insertDraft(db, d, 'planned', d.raw, null);
}

export function recordFailedDraft(db: Db, d: Omit<NewDraft, 'raw'> & { reason: string }): void {
  insertDraft(db, d, 'failed', null, d.reason);
}

export function markAppended(
  db: Db,
  id: number,
  where: { mailbox: string; uidvalidity: number | null; uid: number | null },
): void {
  stmt(
    db,
    "UPDATE drafts SET state = 'appended', mailbox = ?, uidvalidity = ?, uid = ?, updated_at = ? WHERE id = ?",
  ).run(where.mailbox, where.uidvalidity, where.uid, Date.now(), id);
}

export function setDraftState(
  db: Db,
  id: number,
  state: DraftState,
  extra: { reason?: string; feedback?: unknown } = {},
): void {
  stmt(
    db,
    'UPDATE drafts SET state = ?, reason = COALESCE(?, reason), feedback = COALESCE(?, feedback), updated_at = ? WHERE id = ?',
  ).run(
    state,
    extra.reason ?? null,
    extra.feedback === undefined ? null : JSON.stringify(extra.feedback),
    Date.now(),
    id,
  );
}

export function draftsInState(db: Db, accountId: number, states: DraftState[]): DraftRow[] {
  return stmt<[number], DraftRow>(
    db,
    `SELECT * FROM drafts WHERE account_id = ? AND state IN (${states.map((s) => `'${s}'`).join(',')}) ORDER BY id`,
  ).all(accountId);
}

/** Drafts of ours still live (planned or on the server) in a thread. */
export function liveDraftsInThread(db: Db, accountId: number, threadKey: string): DraftRow[] {
  return stmt<[number, string], DraftRow>(
    db,
    "SELECT * FROM drafts WHERE account_id = ? AND thread_key = ? AND state IN ('planned', 'appended') ORDER BY id",
  ).all(accountId, threadKey);
}

/** Any draft (in any state but failed) answering this exact message. */
export function draftsForParent(db: Db, accountId: number, parentMessageId: string): DraftRow[] {
  return stmt<[number, string], DraftRow>(
    db,
    "SELECT * FROM drafts WHERE account_id = ? AND parent_message_id = ? AND state <> 'failed' ORDER BY id",
  ).all(accountId, parentMessageId);
}

export interface DraftCounts {
  written: number;
  keptAsIs: number;
  lightlyEdited: number;
  rewritten: number;
  discarded: number;
  pending: number;
  failed: number;
  today: number;
}

export function draftCounts(db: Db, since = 0): DraftCounts {
  const rows = stmt<[number], { state: string; feedback: string | null; created_at: number }>(
    db,
    'SELECT state, feedback, created_at FROM drafts WHERE created_at >= ?',
  ).all(since);
  const startOfDay = new Date();
  startOfDay.setHours(0, 0, 0, 0);
  const counts: DraftCounts = {
    written: 0,
    keptAsIs: 0,
    lightlyEdited: 0,
    rewritten: 0,
    discarded: 0,
    pending: 0,
    failed: 0,
    today: 0,
  };
  for (const r of rows) {
    if (r.state === 'failed') {
      counts.failed++;
      continue;
    }
    counts.written++;
    if (r.created_at >= startOfDay.getTime()) counts.today++;
    if (r.state === 'discarded') counts.discarded++;
    else if (r.state === 'appended' || r.state === 'planned') counts.pending++;
    else if (r.state === 'sent') {
      const outcome = r.feedback ? (JSON.parse(r.feedback) as { outcome?: string }).outcome : undefined;
      if (outcome === 'kept') counts.keptAsIs++;
      else if (outcome === 'edited') counts.lightlyEdited++;
      else counts.rewritten++;
    }
  }
  return counts;
}

export interface InboxMessage {
  id: number;
  uid: number;
  content_id: number;
  message_id: string | null;
  in_reply_to: string | null;
  refs: string | null;
  from_addr: string | null;
  to_addrs: string | null;
  cc_addrs: string | null;
  subject: string | null;
  date: number | null;
  flags: string;
}

/** Messages in the account's INBOX newer than `since` (ms), newest first. */
export function inboxMessages(db: Db, accountId: number, since: number): InboxMessage[] {
  return stmt<[number, number], InboxMessage>(
    db,
    `SELECT m.id, m.uid, m.content_id, m.message_id, m.in_reply_to, m.refs, m.from_addr, m.to_addrs, m.cc_addrs, m.subject, m.date, m.flags
     FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE b.account_id = ? AND b.special_use = '\\Inbox' AND COALESCE(m.date, 0) >= ?
     ORDER BY m.date DESC, m.uid DESC`,
  ).all(accountId, since);
}

/** Message-IDs the user's sent mail answers (In-Reply-To and References). */
export function answeredMessageIds(db: Db, accountId: number, ownAddresses: ReadonlySet<string>): Set<string> {
  const rows = stmt<
    [number],
    { in_reply_to: string | null; refs: string | null; from_addr: string | null; special_use: string | null }
  >(
    db,
    `SELECT m.in_reply_to, m.refs, m.from_addr, b.special_use FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE b.account_id = ? AND (m.in_reply_to IS NOT NULL OR m.refs IS NOT NULL)`,
  ).all(accountId);
  const answered = new Set<string>();
  for (const r of rows) {
    const from = r.from_addr ? ((JSON.parse(r.from_addr) as { address?: string }[])[0]?.address ?? '') : '';
    if (r.special_use !== '\\Sent' && !ownAddresses.has(from)) continue;
    if (r.in_reply_to) answered.add(r.in_reply_to);
    for (const id of r.refs?.split(' ') ?? []) if (id) answered.add(id);
  }
  return answered;
}

export interface SentReply {
  content_id: number;
  message_id: string | null;
  date: number | null;
}

/** The user's sent replies to a message (by In-Reply-To or References), oldest first. */
export function sentRepliesTo(db: Db, accountId: number, messageId: string): SentReply[] {
  return stmt<[number, string, string], SentReply>(
    db,
    `SELECT m.content_id, m.message_id, m.date FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE b.account_id = ? AND b.special_use = '\\Sent' AND (m.in_reply_to = ? OR instr(' ' || COALESCE(m.refs, '') || ' ', ?) > 0)
     ORDER BY m.date`,
  ).all(accountId, messageId, ` ${messageId} `);
}
