// Typed queries for the drafts outbox (the states and their meaning: src/drafts/outbox.ts).
import { type Db, stmt } from './db.js';
import { MESSAGE_COLUMNS, type Message, type MessageRow, toMessage } from './messages.js';

/** See OUTBOX_STATES in src/drafts/outbox.ts for what each state means. */
export type DraftState =
  | 'planned'
  | 'appended'
  | 'retiring'
  | 'superseded'
  | 'touched'
  | 'sent'
  | 'discarded'
  | 'failed';

/** One row of the drafts outbox (the journal of our drafts: states in src/drafts/outbox.ts); times in ms since the epoch. */
export interface OutboxEntry {
  id: number;
  account_id: number;
  draft_key: string;
  message_id: string;
  parent_message_id: string | null;
  parent_content: number | null;
  parent_mailbox: string | null;
  parent_uidvalidity: number | null;
  parent_uid: number | null;
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
  model_key: string | null;
  generation: string | null;
  feedback: string | null;
  created_at: number;
  updated_at: number;
}

/** The name importers used before `OutboxEntry`: the same shape. */
export type DraftRow = OutboxEntry;

/** What a new outbox row records (its state, reason and times are set by insertDraft). */
export type NewDraft = Pick<
  OutboxEntry,
  | 'account_id'
  | 'draft_key'
  | 'message_id'
  | 'parent_message_id'
  | 'parent_content'
  | 'parent_mailbox'
  | 'parent_uidvalidity'
  | 'parent_uid'
  | 'thread_key'
  | 'raw'
  | 'body'
  | 'mode'
  | 'model_version'
  | 'model_key'
  | 'generation'
>;

/**
 * Runs `write` with `PRAGMA synchronous = FULL`, so its commit is on disk (WAL fsynced) before
 * this returns: for a journal row that precedes an action on the server, which a power cut
 * must not lose while the server keeps what it describes. The store otherwise runs NORMAL.
 */
export function durably<T>(db: Db, write: () => T): T {
  const before = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = FULL');
  try {
    return write();
  } finally {
    db.pragma(`synchronous = ${before}`);
  }
}

/**
 * One INSERT for both kinds of new row: a planned draft (its message; committed durably, since
 * the APPEND follows) or a failed one (why, and the text that was refused).
 * @throws Error when SQLite returns no row (it always does for RETURNING).
 */
export function insertDraft(db: Db, d: NewDraft, state: 'planned' | 'failed', reason: string | null): OutboxEntry {
  const now = Date.now();
  const write = () =>
    stmt<unknown[], OutboxEntry>(
      db,
      `INSERT INTO drafts (account_id, draft_key, message_id, parent_message_id, parent_content, parent_mailbox, parent_uidvalidity, parent_uid, thread_key, state, reason, raw, body, mode, model_version, model_key, generation, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    ).get(
      d.account_id,
      d.draft_key,
      d.message_id,
      d.parent_message_id,
      d.parent_content,
      d.parent_mailbox,
      d.parent_uidvalidity,
      d.parent_uid,
      d.thread_key,
      state,
      reason,
      d.raw,
      d.body,
      d.mode,
      d.model_version,
      d.model_key,
      d.generation,
      now,
      now,
    );
  const row = state === 'planned' ? durably(db, write) : write();
  // assert: an INSERT … RETURNING (or upsert) always returns its row
  if (!row) throw new Error('could not record the draft');
  return row;
}

/**
 * Moves a row to `state`, optionally with where it now is on the server, a reason and feedback.
 * `durable` makes the commit FULL (for a row that precedes a server action).
 */
export function updateDraft(
  db: Db,
  id: number,
  state: DraftState,
  extra: {
    where?: { mailbox: string; uidvalidity: number | null; uid: number | null };
    reason?: string;
    feedback?: unknown;
    durable?: boolean;
  } = {},
): void {
  const write = () =>
    stmt(
      db,
      `UPDATE drafts SET state = ?, mailbox = COALESCE(?, mailbox), uidvalidity = COALESCE(?, uidvalidity),
         uid = CASE WHEN ? THEN ? ELSE uid END, reason = COALESCE(?, reason), feedback = COALESCE(?, feedback), updated_at = ?
       WHERE id = ?`,
    ).run(
      state,
      extra.where?.mailbox ?? null,
      extra.where?.uidvalidity ?? null,
      extra.where ? 1 : 0,
      extra.where?.uid ?? null,
      extra.reason ?? null,
      extra.feedback === undefined ? null : JSON.stringify(extra.feedback),
      Date.now(),
      id,
    );
  if (extra.durable) durably(db, write);
  else write();
}

export function draftsInState(db: Db, accountId: number, states: readonly DraftState[]): OutboxEntry[] {
  return stmt<[number], OutboxEntry>(
    db,
    `SELECT * FROM drafts WHERE account_id = ? AND state IN (${states.map((s) => `'${s}'`).join(',')}) ORDER BY id`,
  ).all(accountId);
}

/** Every journal row of the account, oldest first (the outbox gate reads them once per run). */
export function allDrafts(db: Db, accountId: number): OutboxEntry[] {
  return stmt<[number], OutboxEntry>(db, 'SELECT * FROM drafts WHERE account_id = ? ORDER BY id').all(accountId);
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
    else if (r.state === 'appended' || r.state === 'planned' || r.state === 'touched') counts.pending++;
    else if (r.state === 'sent') {
      const outcome = r.feedback ? (JSON.parse(r.feedback) as { outcome?: string }).outcome : undefined;
      if (outcome === 'kept') counts.keptAsIs++;
      else if (outcome === 'edited') counts.lightlyEdited++;
      else counts.rewritten++;
    }
  }
  return counts;
}

/** Messages in the account's INBOX dated at or after `since` (ms; an undated one counts as 0), newest first. */
export function inboxMessages(db: Db, accountId: number, since: number): Message[] {
  return stmt<[number, number], MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS}
     FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE b.account_id = ? AND b.special_use = '\\Inbox' AND COALESCE(m.date, 0) >= ?
     ORDER BY m.date DESC, m.uid DESC`,
  )
    .all(accountId, since)
    .map(toMessage);
}

/**
 * How many INBOX messages are older than `since` (epoch ms; an undated one counts as old): those
 * inboxMessages leaves out, so a dry run can say how many it did not consider.
 */
export function inboxCountBefore(db: Db, accountId: number, since: number): number {
  return (
    stmt<[number, number], { n: number }>(
      db,
      `SELECT COUNT(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
       WHERE b.account_id = ? AND b.special_use = '\\Inbox' AND COALESCE(m.date, 0) < ?`,
    ).get(accountId, since)?.n ?? 0
  );
}

/** Message-IDs the user's sent mail answers (In-Reply-To and References). */
export function answeredMessageIds(db: Db, accountId: number, ownAddresses: ReadonlySet<string>): Set<string> {
  const rows = stmt<[number], MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE b.account_id = ? AND (m.in_reply_to IS NOT NULL OR m.refs IS NOT NULL)`,
  ).all(accountId);
  const answered = new Set<string>();
  for (const m of rows.map(toMessage)) {
    const from = m.from[0]?.address ?? '';
    if (m.specialUse !== '\\Sent' && !ownAddresses.has(from)) continue;
    if (m.inReplyTo) answered.add(m.inReplyTo);
    for (const id of m.references) answered.add(id);
  }
  return answered;
}

/**
 * Stored messages that may be the user's sent reply for a draft: the draft's own Message-ID
 * (clients that keep it on sending), or In-Reply-To/References naming the message it answered,
 * in any synced mailbox. The caller decides which are really sent mail (see feedback.ts).
 */
export function possibleSentCopies(db: Db, accountId: number, draftMessageId: string, parentId: string): Message[] {
  return stmt<[number, string, string, string], MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS}
     FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE b.account_id = ? AND (m.message_id = ? OR m.in_reply_to = ? OR instr(' ' || COALESCE(m.refs, '') || ' ', ?) > 0)
     ORDER BY m.date`,
  )
    .all(accountId, draftMessageId, parentId, ` ${parentId} `)
    .map(toMessage);
}

/** One outbox row reduced to what became of it (created_at in ms since the epoch; feedback JSON). */
export interface DraftOutcomeRow {
  created_at: number;
  state: DraftState;
  feedback: string | null;
}

/** The drafts of these accounts that reached the server (neither failed nor still planned), for the report. */
export function draftOutcomes(db: Db, accountIds: readonly number[]): DraftOutcomeRow[] {
  if (!accountIds.length) return [];
  return stmt<[], DraftOutcomeRow>(
    db,
    `SELECT created_at, state, feedback FROM drafts WHERE account_id IN (${accountIds.map(Number).join(',')})
     AND state NOT IN ('failed', 'planned')`,
  ).all();
}

/** Per outbox row of the account, oldest first: the content it answers, its state and why (a refusal's reason). */
export function draftParents(
  db: Db,
  accountId: number,
): { parent_content: number | null; state: DraftState; reason: string | null }[] {
  return stmt<[number], { parent_content: number | null; state: DraftState; reason: string | null }>(
    db,
    'SELECT parent_content, state, reason FROM drafts WHERE account_id = ? ORDER BY id',
  ).all(accountId);
}
