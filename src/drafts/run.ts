// `understudy draft`: for new mail that deserves an answer, write a reply in the user's voice
// into the Drafts mailbox. A run is a short pipeline: settle the outbox (recovery, feedback) →
// candidates → triage → generate → compose → outbox (journal, APPEND, retire the stale draft).
import { createHash, randomUUID } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { AccountConfig, Config } from '../config/load.js';
import type { Logger } from '../config/logger.js';
import { mergeCopies, threadContext } from '../dataset/build.js';
import { cleanedText } from '../dataset/clean.js';
import { type UserIdentity, userIdentity } from '../dataset/identity.js';
import type { DatasetMessage } from '../dataset/pairing.js';
import { disconnect } from '../imap/connect.js';
import { findDraftsMailbox } from '../imap/drafts.js';
import { openSession } from '../imap/session.js';
import { type PromptInput, renderConversation } from '../model/prompt.js';
import { accountIdByName } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { allDrafts, answeredMessageIds, inboxCountBefore, inboxMessages, type NewDraft } from '../store/drafts.js';
import { storedExamples } from '../store/examples.js';
import { messagesForDataset } from '../store/messages.js';
import { type InboxCandidate, inboxCandidates, newestPerThread, type OutboxSkip, outboxGate } from './candidates.js';
import { composeDraft, newMessageId, replyRecipients } from './compose.js';
import { DraftError } from './errors.js';
import { type FeedbackCounts, recordFeedback } from './feedback.js';
import { currentModelKey, type DraftModel } from './model.js';
import { type DraftsServer, Outbox } from './outbox.js';
import { type DraftingPause, draftingPaused } from './pause.js';
import { cleanGenerated } from './postprocess.js';
import { type TriageSkip, triage } from './triage.js';

export interface DraftRunOptions {
  db: Db;
  config: Config;
  account: AccountConfig;
  /** Loads the model on first need (so a run with nothing to draft loads nothing). */
  model: () => Promise<DraftModel>;
  /** Show the decisions (and, when a model is there, the drafts); change nothing anywhere. */
  dryRun?: boolean;
  /** At most this many drafts (a positive integer; default drafts.limit); the rest are skipped as over_limit. */
  limit?: number;
  /** Only this INBOX UID (its age is not held against it). */
  uid?: number;
  now?: number;
  logger?: Logger;
  onProgress?: (message: string) => void;
}

export interface DraftedItem {
  uid: number;
  subject: string | null;
  to: string;
  draftUid: number | null;
  mode: 'model' | 'cold_start';
  text: string;
  seconds: number;
  tokens: number;
  replaced: number;
}

export interface DraftRunSummary {
  account: string;
  decisions: {
    uid: number;
    subject: string | null;
    from: string;
    action: 'draft' | 'skip';
    reason?: TriageSkip | OutboxSkip;
  }[];
  drafted: DraftedItem[];
  /** Replies refused by post-processing (or whose generation failed), recorded once each. */
  failed: { uid: number; subject: string | null; reason: string }[];
  /** Journal rows an interrupted run left, settled now. */
  recovered: number;
  feedback: FeedbackCounts;
  /** Dry run only: why no reply text could be shown (no model yet), with the fix. */
  modelUnavailable?: string;
  /** Drafting is paused (`understudy pause`): feedback was recorded, nothing drafted. */
  paused?: DraftingPause;
  /**
   * INBOX messages older than drafts.max_age_days (plus a day's grace), not considered at all
   * and so not among `decisions`; absent for a run on one message (--message).
   */
  notConsidered?: { olderThanMaxAge: number; maxAgeDays: number };
}

/**
 * One drafting run for one account (see the file comment for its steps).
 * @throws DraftError MODEL_UNAVAILABLE when a draft is due and no model can be loaded (not in a
 *   dry run, which then reports `modelUnavailable`); ImapError for server failures.
 */
export async function draftReplies(options: DraftRunOptions): Promise<DraftRunSummary> {
  const { db, config, account } = options;
  const now = options.now ?? Date.now();
  const accountId = accountIdByName(db, account.name);
  const summary: DraftRunSummary = {
    account: account.name,
    decisions: [],
    drafted: [],
    failed: [],
    recovered: 0,
    feedback: { sent: 0, discarded: 0 },
  };
  if (accountId === undefined) return summary;
  const progress = options.onProgress ?? (() => {});
  const mail = storedMail(db, accountId, account);
  const session = serverSession(options);
  const outbox = new Outbox(db, accountId, session.open);
  try {
    if (!options.dryRun) {
      summary.recovered = await outbox.recover();
      summary.feedback = await recordFeedback({
        db,
        accountId,
        outbox,
        ownAddresses: mail.identity.addresses,
        draftsMailbox: async () => (await session.open()).drafts,
      });
    }

    // `understudy pause`: feedback above still counts, but no draft is written (a dry run still shows the triage).
    const paused = draftingPaused(config.dataDir);
    if (paused) {
      summary.paused = paused;
      if (!options.dryRun) return summary;
    }

    // Candidates → triage → the outbox's say.
    const modelKey = currentModelKey(db, config);
    const todo = decide(options, accountId, mail.identity, modelKey, now, summary);

    let model: DraftModel | null = null;
    const ours = new Set(allDrafts(db, accountId).map((r) => r.draft_key));
    for (const c of todo) {
      const parent = mail.byContent.get(c.contentId);
      if (!parent || !c.messageId) continue;
      if (!options.dryRun && (await outbox.userDraftsAnswering([c.messageId, ...c.ancestors], ours)).length) {
        skipDecision(summary, c, 'user_draft');
        continue;
      }
      model ??= await loadModel(options, summary);
      if (!model) break;
      progress(`drafting a reply to "${c.subject ?? ''}" from ${c.from[0]?.address ?? ''}`);
      const started = Date.now();
      const reply = await generate(model, promptFor(db, accountId, c, parent, mail, model, now), c, config);
      const base = journalEntry(accountId, c, parent, reply, model, modelKey);
      if (reply.refusal) {
        summary.failed.push({ uid: c.uid, subject: c.subject, reason: reply.refusal });
        if (!options.dryRun) outbox.refuse(base, reply.refusal);
        continue;
      }
      const composed = await compose(db, c, parent, mail.identity, options, reply.text, base.draft_key);
      const item: DraftedItem = {
        uid: c.uid,
        subject: c.subject,
        to: composed.to,
        draftUid: null,
        mode: model.mode,
        text: reply.text,
        seconds: (Date.now() - started) / 1000,
        tokens: reply.tokens,
        replaced: 0,
      };
      if (!options.dryRun) {
        const row = await outbox.deliver({ ...base, message_id: composed.messageId, raw: composed.raw });
        ours.add(row.draft_key);
        item.draftUid = row.uid;
        item.replaced = await outbox.retireStale(row);
      }
      summary.drafted.push(item);
    }
    return summary;
  } finally {
    await session.close();
  }
}

interface StoredMail {
  identity: UserIdentity;
  /** One entry per stored content: the identity of a message's text, never its Message-ID. */
  byContent: Map<number, DatasetMessage>;
  /** For thread context only (ancestors are found by Message-ID; first copy wins). */
  byMessageId: Map<string, DatasetMessage>;
}

function storedMail(db: Db, accountId: number, account: AccountConfig): StoredMail {
  const messages = mergeCopies(messagesForDataset(db, accountId));
  const byContent = new Map(messages.map((m) => [m.contentId, m]));
  const byMessageId = new Map<string, DatasetMessage>();
  for (const m of messages) if (m.messageId && !byMessageId.has(m.messageId)) byMessageId.set(m.messageId, m);
  return { identity: userIdentity(account.addresses, messages), byContent, byMessageId };
}

/** One IMAP connection for the run, opened on first need, with the Drafts mailbox found. */
function serverSession(options: DraftRunOptions): { open: () => Promise<DraftsServer>; close: () => Promise<void> } {
  let opened: Promise<DraftsServer> | null = null;
  let client: ImapFlow | null = null;
  return {
    open: () => {
      opened ??= (async () => {
        const session = await openSession({
          account: options.account,
          settings: options.config.sync,
          logger: options.logger,
        });
        client = await session.connect();
        return { client, drafts: await findDraftsMailbox(client, options.account.folders) };
      })();
      return opened;
    },
    close: async () => {
      if (client) await disconnect(client);
    },
  };
}

/** Candidates → triage → outbox gate; fills `summary.decisions`; returns what to draft, oldest first. */
function decide(
  options: DraftRunOptions,
  accountId: number,
  identity: UserIdentity,
  modelKey: string,
  now: number,
  summary: DraftRunSummary,
): InboxCandidate[] {
  const { db, config } = options;
  const since = options.uid !== undefined ? 0 : now - config.drafts.maxAgeDays * 86_400_000 - 86_400_000;
  const rows = inboxMessages(db, accountId, since).filter((m) => options.uid === undefined || m.uid === options.uid);
  if (options.uid === undefined)
    summary.notConsidered = {
      olderThanMaxAge: inboxCountBefore(db, accountId, since),
      maxAgeDays: config.drafts.maxAgeDays,
    };
  const candidates = inboxCandidates(rows, (id) => cleanedText(db, id));
  const answered = answeredMessageIds(db, accountId, identity.addresses);
  const settings =
    options.uid !== undefined ? { ...config.drafts, maxAgeDays: Number.POSITIVE_INFINITY } : config.drafts;
  const gate = outboxGate(allDrafts(db, accountId), modelKey);
  const chosen: InboxCandidate[] = [];
  for (const c of candidates) {
    const decision = triage(c, { settings, ownAddresses: identity.addresses, now, answered, drafted: new Set() });
    const reason = decision.action === 'skip' ? decision.reason : gate(c);
    summary.decisions.push({
      uid: c.uid,
      subject: c.subject,
      from: c.from[0]?.address ?? '',
      action: reason ? 'skip' : 'draft',
      ...(reason ? { reason } : {}),
    });
    if (!reason) chosen.push(c);
  }
  // Oldest first, the newest message of each thread only, up to the limit.
  const oldestFirst = chosen.reverse();
  const newest = newestPerThread(oldestFirst);
  for (const c of oldestFirst) if (!newest.includes(c)) skipDecision(summary, c, 'superseded');
  // Past the limit is a decision too: its row must not say DRAFT when no draft is written.
  const limit = options.limit ?? config.drafts.limit;
  for (const c of newest.slice(limit)) skipDecision(summary, c, 'over_limit');
  return newest.slice(0, limit);
}

function skipDecision(summary: DraftRunSummary, c: InboxCandidate, reason: OutboxSkip): void {
  const d = summary.decisions.find((x) => x.uid === c.uid && x.action === 'draft');
  if (d) Object.assign(d, { action: 'skip', reason });
}

/** The model, loaded once; a dry run without one reports why and drafts nothing. */
async function loadModel(options: DraftRunOptions, summary: DraftRunSummary): Promise<DraftModel | null> {
  try {
    return await options.model();
  } catch (err) {
    const fix = 'run `understudy model pull` (then `understudy train`), and draft again';
    const message = `no model to write drafts with: ${(err as Error).message}`;
    if (options.dryRun) {
      summary.modelUnavailable = `${message}\n  fix: ${fix}`;
      return null;
    }
    throw new DraftError('MODEL_UNAVAILABLE', message, fix, err);
  }
}

interface Reply {
  text: string;
  refusal: string | null;
  tokens: number;
  generation: string | null;
}

function promptFor(
  db: Db,
  accountId: number,
  c: InboxCandidate,
  parent: DatasetMessage,
  mail: StoredMail,
  model: DraftModel,
  now: number,
): PromptInput {
  const { identity } = mail;
  return {
    user: { ...(identity.name ? { name: identity.name } : {}), addresses: [...identity.addresses] },
    now,
    incoming: {
      from: parent.from,
      to: parent.to,
      cc: parent.cc,
      date: parent.date,
      subject: parent.subject,
      body: c.ownText ?? '',
    },
    context: threadContext(parent, mail.byMessageId, (m) => cleanedText(db, m.contentId)),
    ...(model.mode === 'cold_start' ? { examples: styleExamples(db, accountId, c) } : {}),
  };
}

/** Generates and post-processes one reply; a refusal keeps the text that was refused. */
async function generate(model: DraftModel, input: PromptInput, c: InboxCandidate, config: Config): Promise<Reply> {
  try {
    const g = await model.generator.reply(renderConversation(input), {
      maxNewTokens: config.drafts.maxNewTokens,
      temperature: config.drafts.temperature,
      topP: config.drafts.topP,
      seed: seedFor(c.messageId ?? String(c.contentId)),
    });
    const cleaned = cleanGenerated(g.text, c.ownText ?? '', g.stoppedBy);
    return {
      text: cleaned.refused ? g.text : cleaned.text,
      refusal: cleaned.refused ? `${cleaned.refused}: ${cleaned.detail ?? ''}` : null,
      tokens: g.ids.length,
      generation: JSON.stringify({
        tokens: g.ids.length,
        promptTokens: g.promptTokens,
        stoppedBy: g.stoppedBy,
        prefillMs: Math.round(g.prefillMs),
        decodeMs: Math.round(g.decodeMs),
      }),
    };
  } catch (err) {
    return { text: '', refusal: `generation failed: ${(err as Error).message}`, tokens: 0, generation: null };
  }
}

/** The journal row for a reply to `c` (the draft's own Message-ID and bytes are added on delivery). */
function journalEntry(
  accountId: number,
  c: InboxCandidate,
  parent: DatasetMessage,
  reply: Reply,
  model: DraftModel,
  modelKey: string,
): NewDraft {
  return {
    account_id: accountId,
    draft_key: randomUUID(),
    message_id: '',
    parent_message_id: c.messageId,
    parent_content: c.contentId,
    parent_mailbox: c.mailbox,
    parent_uidvalidity: c.uidValidity,
    parent_uid: c.uid,
    thread_key: parent.references[0] ?? parent.inReplyTo ?? c.messageId ?? '',
    raw: null,
    body: reply.text,
    mode: model.mode,
    model_version: model.version,
    model_key: modelKey,
    generation: reply.generation,
  };
}

/** The draft as a message: recipients (replyRecipients), sender identity, threading, our key. */
async function compose(
  db: Db,
  c: InboxCandidate,
  parent: DatasetMessage,
  identity: UserIdentity,
  options: DraftRunOptions,
  text: string,
  draftKey: string,
): Promise<{ raw: Buffer; messageId: string; to: string }> {
  const { config, account } = options;
  const recipients = replyRecipients(parent, identity.addresses, config.drafts.replyAll);
  const from = replyIdentity(parent, identity.addresses, account);
  const messageId = newMessageId(from.address);
  const raw = await composeDraft({
    from: { ...(identity.name ? { name: identity.name } : {}), ...from },
    to: recipients.to,
    cc: recipients.cc,
    parent: {
      messageId: c.messageId,
      references: parent.references,
      subject: parent.subject,
      date: parent.date,
      from: parent.from,
      text: c.ownText ?? '',
      language: cleanedText(db, parent.contentId).language,
    },
    body: text,
    signature: config.drafts.signature || undefined,
    quoteOriginal: config.drafts.quoteOriginal,
    draftKey,
    messageId,
  });
  return { raw, messageId, to: recipients.to.map((p) => p.address).join(', ') };
}

/** The user's address the message was sent to (an alias stays an alias), else the first one. */
function replyIdentity(parent: DatasetMessage, own: ReadonlySet<string>, account: AccountConfig): { address: string } {
  for (const p of [...parent.to, ...parent.cc])
    if (p.address && own.has(p.address.toLowerCase())) return { address: p.address };
  return { address: account.addresses[0] ?? account.user };
}

/** A stable seed per message, so re-drafting the same message is reproducible. */
function seedFor(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32LE(0);
}

/** Cold start: up to three of the user's past replies, same correspondent first, then same language. */
function styleExamples(db: Db, accountId: number, c: InboxCandidate): string[] {
  const examples = storedExamples(db, accountId);
  const sender = c.from[0]?.address ?? '';
  const reply = (e: (typeof examples)[number]) => (JSON.parse(e.source) as { reply: string }).reply;
  const short = examples.filter((e) => e.reply_chars <= 700).reverse();
  const picked = [
    ...short.filter((e) => e.correspondent === sender),
    ...short.filter((e) => e.correspondent !== sender),
  ];
  return picked.slice(0, 3).map(reply);
}
