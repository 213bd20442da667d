// `understudy draft`: for new mail that deserves an answer, write a reply in the user's voice
// into the Drafts mailbox. Order of a run: recover the outbox, record feedback, triage, then
// generate → compose → journal (planned) → APPEND → journal (appended) → retire stale drafts.
import { createHash, randomUUID } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { AccountConfig, Config } from '../config/load.js';
import type { Logger } from '../config/logger.js';
import { resolveSecret } from '../config/secrets.js';
import { mergeCopies, threadContext } from '../dataset/build.js';
import { cleanedText } from '../dataset/clean.js';
import { userIdentity } from '../dataset/identity.js';
import type { DatasetMessage } from '../dataset/pairing.js';
import { type PromptInput, renderConversation } from '../dataset/prompt.js';
import { connect, disconnect } from '../imap/connect.js';
import { appendDraft, draftAt, findDraftByKey, findDraftsMailbox, removeOwnDraft } from '../imap/drafts.js';
import { ImapError } from '../imap/errors.js';
import { parseMessageIds as parseIds } from '../mail/headers.js';
import { accountIdByName, messagesForDataset, storedExamples } from '../store/dataset.js';
import type { Db } from '../store/db.js';
import {
  answeredMessageIds,
  type DraftRow,
  draftsInState,
  type InboxMessage,
  inboxMessages,
  liveDraftsInThread,
  markAppended,
  planDraft,
  recordFailedDraft,
  sentRepliesTo,
  setDraftState,
} from '../store/drafts.js';
import { composeDraft, newMessageId } from './compose.js';
import type { DraftModel } from './model.js';
import { cleanGenerated } from './postprocess.js';
import { editSimilarity, outcomeOf } from './similarity.js';
import { type Candidate, type Decision, triage } from './triage.js';

export interface DraftRunOptions {
  db: Db;
  config: Config;
  account: AccountConfig;
  /** Loads the model on first need (so a run with nothing to draft loads nothing). */
  model: () => Promise<DraftModel>;
  dryRun?: boolean;
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
  decisions: { uid: number; subject: string | null; from: string; action: 'draft' | 'skip'; reason?: string }[];
  drafted: DraftedItem[];
  failed: { uid: number; subject: string | null; reason: string }[];
  recovered: number;
  feedback: { sent: number; discarded: number };
}

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

  const messages = mergeCopies(messagesForDataset(db, accountId));
  const identity = userIdentity(account.addresses, messages);
  const byMessageId = new Map<string, DatasetMessage>();
  for (const m of messages) if (m.messageId && !byMessageId.has(m.messageId)) byMessageId.set(m.messageId, m);

  let client: ImapFlow | null = null;
  let draftsBox = '';
  const server = async (): Promise<ImapFlow> => {
    if (!client) {
      client = await connect({
        account,
        settings: config.sync,
        credential: await resolveSecret(account),
        logger: options.logger,
      });
      draftsBox = await findDraftsMailbox(client, account.folders);
    }
    return client;
  };
  try {
    if (!options.dryRun) {
      summary.recovered = await recoverOutbox(db, accountId, server, () => draftsBox);
      summary.feedback = await recordFeedback(db, accountId, server, now);
    }

    // Triage every recent INBOX message.
    const since = options.uid !== undefined ? 0 : now - config.drafts.maxAgeDays * 86_400_000 - 86_400_000;
    const inbox = inboxMessages(db, accountId, since).filter((m) => options.uid === undefined || m.uid === options.uid);
    const answered = answeredMessageIds(db, accountId, identity.addresses);
    // No second draft for a message, and none in a thread whose draft the user has taken over
    // (edited or moved). An untouched draft of ours for an older message is replaced instead.
    const drafted = new Set<string>();
    for (const d of draftsInState(db, accountId, ['planned', 'appended', 'sent'])) {
      if (d.parent_message_id) drafted.add(d.parent_message_id);
      if (d.state === 'appended' && d.uid === null) drafted.add(`thread:${d.thread_key}`);
    }
    const settings =
      options.uid !== undefined ? { ...config.drafts, maxAgeDays: Number.POSITIVE_INFINITY } : config.drafts;
    const decisions: Decision[] = [];
    const seen = new Set<number>();
    for (const m of inbox) {
      if (seen.has(m.content_id)) continue;
      seen.add(m.content_id);
      const candidate = toCandidate(db, m);
      const threadKey = parseIds(m.refs)[0] ?? m.in_reply_to ?? m.message_id ?? '';
      if (drafted.has(`thread:${threadKey}`) && candidate.messageId) drafted.add(candidate.messageId);
      decisions.push(triage(candidate, { settings, ownAddresses: identity.addresses, now, answered, drafted }));
    }
    for (const d of decisions) {
      summary.decisions.push({
        uid: d.candidate.uid,
        subject: d.candidate.subject,
        from: d.candidate.from[0]?.address ?? '',
        action: d.action,
        ...(d.action === 'skip' ? { reason: d.reason } : {}),
      });
    }

    // Write drafts, oldest first, up to the limit.
    const todo = decisions
      .filter((d) => d.action === 'draft')
      .reverse()
      .slice(0, options.limit ?? config.drafts.limit);
    let model: DraftModel | null = null;
    for (const decision of todo) {
      const c = decision.candidate;
      const parent = c.messageId ? byMessageId.get(c.messageId) : undefined;
      if (!parent || !c.messageId) continue;
      progress(`drafting a reply to "${c.subject ?? ''}" from ${c.from[0]?.address ?? ''}`);
      model ??= await options.model();
      const started = Date.now();
      const input: PromptInput = {
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
        context: threadContext(parent, byMessageId, (m) => cleanedText(db, m.contentId)),
        ...(model.mode === 'cold_start' ? { examples: styleExamples(db, accountId, c) } : {}),
      };
      const threadKey = parent.references[0] ?? parent.inReplyTo ?? c.messageId;
      const key = randomUUID();
      let generation: Awaited<ReturnType<DraftModel['generator']['reply']>> | null = null;
      let refusal: string | null = null;
      let text = '';
      try {
        generation = await model.generator.reply(renderConversation(input), {
          maxNewTokens: config.drafts.maxNewTokens,
          temperature: config.drafts.temperature,
          topP: config.drafts.topP,
          seed: seedFor(c.messageId),
        });
        const cleaned = cleanGenerated(generation.text, c.ownText ?? '', generation.stoppedBy);
        text = cleaned.text;
        if (cleaned.refused) refusal = `${cleaned.refused}: ${cleaned.detail ?? ''}`;
      } catch (err) {
        refusal = `generation failed: ${(err as Error).message}`;
      }
      const generationInfo = generation
        ? JSON.stringify({
            tokens: generation.ids.length,
            promptTokens: generation.promptTokens,
            stoppedBy: generation.stoppedBy,
            prefillMs: Math.round(generation.prefillMs),
            decodeMs: Math.round(generation.decodeMs),
          })
        : null;
      const base = {
        account_id: accountId,
        draft_key: key,
        parent_message_id: c.messageId,
        parent_content: parent.contentId,
        thread_key: threadKey,
        body: text,
        mode: model.mode,
        model_version: model.version,
        generation: generationInfo,
      };
      if (refusal) {
        summary.failed.push({ uid: c.uid, subject: c.subject, reason: refusal });
        if (!options.dryRun) recordFailedDraft(db, { ...base, message_id: '', reason: refusal });
        continue;
      }
      const from = replyIdentity(parent, identity.addresses, account);
      const replyTo = parent.replyTo.length ? parent.replyTo : parent.from;
      const cc = config.drafts.replyAll
        ? [...parent.to, ...parent.cc].filter(
            (p) =>
              p.address &&
              !identity.addresses.has(p.address.toLowerCase()) &&
              !replyTo.some((r) => r.address === p.address),
          )
        : [];
      const messageId = newMessageId(from.address);
      const raw = await composeDraft({
        from: { ...(identity.name ? { name: identity.name } : {}), ...from },
        to: replyTo,
        cc,
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
        draftKey: key,
        messageId,
      });
      const item: DraftedItem = {
        uid: c.uid,
        subject: c.subject,
        to: replyTo.map((p) => p.address).join(', '),
        draftUid: null,
        mode: model.mode,
        text,
        seconds: (Date.now() - started) / 1000,
        tokens: generation?.ids.length ?? 0,
        replaced: 0,
      };
      if (options.dryRun) {
        summary.drafted.push(item);
        continue;
      }
      // Order is important: the journal row is committed before the APPEND it describes.
      const row = planDraft(db, { ...base, message_id: messageId, raw });
      const imap = await server();
      const appended = await appendDraft(imap, draftsBox, raw);
      faultPoint('after-append', imap);
      const uid = appended.uid ?? (await findDraftByKey(imap, draftsBox, key)).uids.at(-1) ?? null;
      markAppended(db, row.id, { mailbox: draftsBox, uidvalidity: appended.uidValidity, uid });
      item.draftUid = uid;
      // An older draft of ours in the same thread is now stale: remove it, only if untouched.
      for (const old of liveDraftsInThread(db, accountId, threadKey)) {
        if (old.id === row.id) continue;
        if (await retireDraft(db, imap, old)) item.replaced++;
      }
      summary.drafted.push(item);
    }
    return summary;
  } finally {
    if (client) await disconnect(client);
  }
}

/**
 * Fault injection for the crash tests (mbsync's way: stop at each step, rerun, compare):
 * UNDERSTUDY_FAULT=after-append kills the process between APPEND and the journal update;
 * after-append-drop drops the connection there, as when the server stores the draft but its
 * answer never arrives. Unset in normal use.
 */
function faultPoint(point: string, imap: ImapFlow): void {
  const fault = process.env.UNDERSTUDY_FAULT;
  if (fault === point) process.kill(process.pid, 'SIGKILL');
  if (fault === `${point}-drop`) {
    imap.close();
    throw new ImapError(
      'CONNECTION_LOST',
      'temporary',
      'the connection was lost before the server confirmed the draft',
      'nothing to do: the next run finds the draft by its header',
    );
  }
}

function toCandidate(db: Db, m: InboxMessage): Candidate {
  const cleaned = cleanedText(db, m.content_id);
  const parse = (json: string | null) => (json ? (JSON.parse(json) as { name?: string; address?: string }[]) : []);
  return {
    uid: m.uid,
    messageId: m.message_id,
    from: parse(m.from_addr),
    to: parse(m.to_addrs),
    cc: parse(m.cc_addrs),
    subject: m.subject,
    date: m.date,
    flags: m.flags ? m.flags.split(' ') : [],
    skipReasons: cleaned.skipReasons,
    ownText: cleaned.ownText,
    error: cleaned.error,
  };
}

/** The user's address the message was sent to (an alias stays an alias), else the first one. */
function replyIdentity(parent: DatasetMessage, own: ReadonlySet<string>, account: AccountConfig): { address: string } {
  for (const p of [...parent.to, ...parent.cc])
    if (p.address && own.has(p.address.toLowerCase())) return { address: p.address };
  return { address: account.addresses[0] ?? account.user };
}

/** A stable seed per message, so re-drafting the same message is reproducible. */
function seedFor(messageId: string): number {
  return createHash('sha256').update(messageId).digest().readUInt32LE(0);
}

/** Cold start: up to three of the user's past replies, same correspondent first, then same language. */
function styleExamples(db: Db, accountId: number, c: Candidate): string[] {
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

/** Planned rows whose APPEND may or may not have happened (a crash, a dropped connection). */
async function recoverOutbox(
  db: Db,
  accountId: number,
  server: () => Promise<ImapFlow>,
  box: () => string,
): Promise<number> {
  let recovered = 0;
  for (const row of draftsInState(db, accountId, ['planned'])) {
    const imap = await server();
    const found = await findDraftByKey(imap, box(), row.draft_key);
    if (found.uids.length > 0) {
      // It was appended before the journal could say so. Exactly one must remain.
      const [keep, ...extra] = found.uids.sort((a, b) => a - b);
      for (const uid of extra) await removeOwnDraft(imap, box(), uid, row.draft_key, row.raw?.length ?? -1);
      markAppended(db, row.id, { mailbox: box(), uidvalidity: found.uidValidity, uid: keep ?? null });
    } else if (row.raw) {
      const appended = await appendDraft(imap, box(), row.raw);
      markAppended(db, row.id, { mailbox: box(), uidvalidity: appended.uidValidity, uid: appended.uid });
    } else {
      setDraftState(db, row.id, 'failed', { reason: 'planned without a message to append' });
    }
    recovered++;
  }
  return recovered;
}

/** Replaces-path removal: only our own, untouched draft is removed; anything else is left alone. */
async function retireDraft(db: Db, imap: ImapFlow, old: DraftRow): Promise<boolean> {
  if (old.state !== 'appended' || old.uid === null || !old.mailbox) return false;
  const outcome = await removeOwnDraft(imap, old.mailbox, old.uid, old.draft_key, old.raw?.length ?? -1);
  if (outcome === 'removed' || outcome === 'flagged') {
    setDraftState(db, old.id, 'superseded', { reason: 'a newer message arrived in the thread' });
    return true;
  }
  // Changed or gone: the user has it now. Never touch it again.
  db.prepare('UPDATE drafts SET uid = NULL, reason = ?, updated_at = ? WHERE id = ?').run(
    outcome === 'changed' ? 'edited by you' : 'no longer in Drafts',
    Date.now(),
    old.id,
  );
  return false;
}

/**
 * Feedback: a draft whose message the user has since answered is compared with what they
 * sent; one that left Drafts without an answer is discarded. These pairs (what we wrote, what
 * was sent) are the best future training signal.
 */
async function recordFeedback(
  db: Db,
  accountId: number,
  server: () => Promise<ImapFlow>,
  now: number,
): Promise<{ sent: number; discarded: number }> {
  const result = { sent: 0, discarded: 0 };
  for (const row of draftsInState(db, accountId, ['appended', 'discarded'])) {
    if (!row.parent_message_id) continue;
    const reply = sentRepliesTo(db, accountId, row.parent_message_id).find(
      (r) => (r.date ?? now) >= row.created_at - 60_000 && r.message_id !== row.message_id,
    );
    if (reply) {
      const sentText = cleanedText(db, reply.content_id).ownText ?? '';
      const similarity = editSimilarity(row.body, sentText);
      setDraftState(db, row.id, 'sent', {
        feedback: {
          similarity: Math.round(similarity * 1000) / 1000,
          outcome: outcomeOf(similarity),
          sentMessageId: reply.message_id,
          sentText,
        },
      });
      result.sent++;
      continue;
    }
    if (row.state !== 'appended' || !row.mailbox) continue;
    const imap = await server();
    const here = row.uid !== null ? await draftAt(imap, row.mailbox, row.uid) : null;
    if (here) continue;
    const elsewhere = await findDraftByKey(imap, row.mailbox, row.draft_key);
    if (elsewhere.uids.length) {
      // Saved again by the user's client: theirs now, never ours to touch.
      if (row.uid !== null)
        db.prepare('UPDATE drafts SET uid = NULL, reason = ?, updated_at = ? WHERE id = ?').run(
          'edited by you',
          Date.now(),
          row.id,
        );
      continue;
    }
    if (row.uid === null && row.reason === 'edited by you') continue;
    setDraftState(db, row.id, 'discarded', { reason: 'deleted from Drafts without a reply' });
    result.discarded++;
  }
  return result;
}
