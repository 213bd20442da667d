// Builds the writing-style dataset of an account: pairs every reply the user sent with the
// message it answers, cleans both, filters, deduplicates, splits by time and renders each pair
// as a chat conversation. Cleaning is cached per content, so a rebuild after a sync only
// cleans what is new.
import type { AccountConfig, DatasetSettings } from '../config/load.js';
import { UnderstudyError } from '../errors.js';
import { parseMessageIds } from '../mail/headers.js';
import { type QuotedMessage, quotedMessage } from '../mail/quoted-message.js';
import { learnSignatures } from '../mail/signatures.js';
import { type Person, type PromptInput, renderConversation, type ThreadMessage } from '../model/prompt.js';
import { accountIdByName } from '../store/accounts.js';
import { contentForCleaning } from '../store/content-text.js';
import { lastBuild, recordBuild, storeFingerprint } from '../store/dataset-builds.js';
import type { Db } from '../store/db.js';
import { type DropRow, type ExampleRow, replaceDataset } from '../store/examples.js';
import type { Message } from '../store/messages.js';
import { messagesForDataset } from '../store/messages.js';
import { CLEANING_RULES, type CleanedText, cleanedText } from './clean.js';
import { dedupeReplies } from './dedupe.js';
import { type ExcludedCorrespondents, excludedCorrespondents, excludedPerson } from './exclude.js';
import { isFrom, isUser, type UserIdentity, userIdentity } from './identity.js';
import { type PairWarning, pairWarnings } from './pair-warnings.js';
import {
  addressedTo,
  type DatasetMessage,
  isForwardToThirdParty,
  type PairedBy,
  parentByHeaders,
  parentByQuote,
  parentBySubject,
} from './pairing.js';
import { reconstructParent } from './reconstruct.js';
import { splitByTime } from './split.js';
import { baseSubject, Threads } from './thread.js';

export type DropReason =
  | 'unreadable'
  | 'not_a_reply'
  | 'not_from_user'
  | 'forward'
  | 'parent_not_found'
  | 'reply_to_self'
  | 'empty_reply'
  | 'quote_only'
  | 'junk_reply'
  | 'junk_parent'
  | 'too_long'
  | 'duplicate'
  | 'template'
  /** The answered mail's sender or the reply's recipient is excluded (`understudy privacy exclude`, [dataset] exclude_*). */
  | 'excluded_correspondent';

export interface BuildProgress {
  phase: 'load' | 'clean' | 'pair' | 'write';
  done: number;
  total: number;
}

export interface BuildSummary {
  account: string;
  /** Nothing changed since the last build; the stored dataset was kept. */
  upToDate: boolean;
  messages: number;
  sent: number;
  examples: number;
  train: number;
  eval: number;
  pairedByHeaders: number;
  pairedByQuote: number;
  /** Pairs whose parent is not stored and was rebuilt from the reply's first quoted message. */
  pairedByReconstruction: number;
  /** Replies quoting nothing, paired with the latest message of their thread from someone they are addressed to. */
  pairedBySubject: number;
  /** Pairs with at least one warning (see pair-warnings.ts). */
  flagged: number;
  dropped: Partial<Record<DropReason, number>>;
  languages: Record<string, number>;
  /** Contents cleaned in this build (the rest came from the cache). */
  cleaned: number;
  durationMs: number;
}

export interface BuildOptions {
  db: Db;
  account: AccountConfig;
  settings: DatasetSettings;
  force?: boolean;
  /** Clean every message again instead of reusing cleaned text (for benchmarks and rule changes). */
  noCache?: boolean;
  onProgress?: (p: BuildProgress) => void;
}

const SETTINGS_VERSION = 'build-7';

/**
 * Builds (or keeps, when nothing changed) the dataset of one account, in named phases: load the
 * messages, clean what the user wrote, pair each reply with what it answers, drop copies and
 * templates, split by time along threads, render and store.
 * @throws DatasetError NOT_SYNCED when the account was never synced.
 */
export function buildDataset(options: BuildOptions): BuildSummary {
  const { db, account, settings } = options;
  const started = Date.now();
  const accountId = accountIdByName(db, account.name);
  if (accountId === undefined)
    throw new DatasetError(
      'NOT_SYNCED',
      `account "${account.name}" has not been synced yet; run understudy sync first`,
    );
  const excluded = excludedCorrespondents(db, { senders: settings.excludeSenders, domains: settings.excludeDomains });
  const fingerprint = `${storeFingerprint(db, accountId)}|${CLEANING_RULES}|${SETTINGS_VERSION}|${JSON.stringify(settings)}|${JSON.stringify(excluded)}|${account.addresses.join(',')}`;
  const previous = lastBuild(db, accountId);
  if (!options.force && previous?.fingerprint === fingerprint) {
    return {
      ...(JSON.parse(previous.summary) as BuildSummary),
      upToDate: true,
      cleaned: 0,
      durationMs: Date.now() - started,
    };
  }
  const progress = options.onProgress ?? (() => {});

  progress({ phase: 'load', done: 0, total: 0 });
  const mail = loadMail(db, accountId, account);
  const cleaning = cleanOwnMail(db, mail.own, Boolean(options.noCache), progress);
  const drops: DropRow[] = [];
  const pairs = pairReplies({ db, mail, cleaning, excluded, settings, drops, progress });
  const kept = dropCopies(pairs, settings, drops);
  const threads = threadsOf(kept);
  const split = splitByTime(
    kept.map((p) => ({ key: p.key, thread: threads.key(p.key), date: p.reply.date ?? 0 })),
    settings.evalFraction,
  );

  progress({ phase: 'write', done: 0, total: kept.length });
  const examples = renderExamples({ kept, mail, cleaning, excluded, threads, split });
  replaceDataset(db, accountId, examples, drops);
  const summary: BuildSummary = {
    account: account.name,
    upToDate: false,
    messages: mail.messages.length,
    sent: mail.own.length,
    ...countBuild(kept, examples, drops),
    cleaned: cleaning.counter.cleaned,
    durationMs: Date.now() - started,
  };
  recordBuild(db, accountId, fingerprint, summary);
  return summary;
}

/** The account's stored mail, every message once, with the indexes pairing looks things up in. */
interface StoredMail {
  /** Every message once (copies in several mailboxes merged by content). */
  messages: DatasetMessage[];
  identity: UserIdentity;
  /** What the user sent: in a \Sent mailbox, or from one of their addresses. */
  own: DatasetMessage[];
  ownContents: Set<number>;
  /** First message with each Message-ID. */
  byMessageId: Map<string, DatasetMessage>;
  /** Mail the user did not send, by base subject (for quote and subject pairing). */
  bySubject: Map<string, DatasetMessage[]>;
  /** What the user sent, by base subject (subject pairing: was the latest incoming message already answered?). */
  ownBySubject: Map<string, DatasetMessage[]>;
}

/** Phase 1: every message once, who the user is, and the lookups pairing uses. */
function loadMail(db: Db, accountId: number, account: AccountConfig): StoredMail {
  const messages = mergeCopies(messagesForDataset(db, accountId));
  const identity = userIdentity(account.addresses, messages);
  const own = messages.filter((m) => m.inSent || isFrom(m.from, identity));
  const ownContents = new Set(own.map((m) => m.contentId));
  const byMessageId = new Map<string, DatasetMessage>();
  for (const m of messages) if (m.messageId && !byMessageId.has(m.messageId)) byMessageId.set(m.messageId, m);
  const bySubject = new Map<string, DatasetMessage[]>();
  const ownBySubject = new Map<string, DatasetMessage[]>();
  for (const m of messages) {
    const index = ownContents.has(m.contentId) ? ownBySubject : bySubject;
    const s = baseSubject(m.subject);
    const list = index.get(s) ?? [];
    list.push(m);
    index.set(s, list);
  }
  return { messages, identity, own, ownContents, byMessageId, bySubject, ownBySubject };
}

/** Cleaned text per content (cached in the store), and the signatures learned from the user's mail. */
interface Cleaning {
  clean: (m: DatasetMessage) => CleanedText;
  counter: { cleaned: number };
  signatures: string[];
}

/** Phase 2: clean what the user wrote (cached per content), and learn their recurring signature. */
function cleanOwnMail(
  db: Db,
  own: readonly DatasetMessage[],
  noCache: boolean,
  progress: (p: BuildProgress) => void,
): Cleaning {
  const counter = { cleaned: 0 };
  const cache = new Map<number, CleanedText>();
  const clean = (m: DatasetMessage): CleanedText => {
    let c = cache.get(m.contentId);
    if (!c) {
      c = cleanedText(db, m.contentId, counter, noCache);
      cache.set(m.contentId, c);
    }
    return c;
  };
  own.forEach((m, i) => {
    clean(m);
    if (i % 200 === 0) progress({ phase: 'clean', done: i, total: own.length });
  });
  // Each text once: copies of one message (two Sent folders, a Bcc to self) must not make its words look like a
  // signature repeated across messages.
  const signatures = learnSignatures([
    ...new Set(own.map((m) => cache.get(m.contentId)?.ownText ?? '').filter(Boolean)),
  ]);
  return { clean, counter, signatures };
}

/** What pairing reads and where it records the replies it drops. */
interface PairingContext {
  db: Db;
  mail: StoredMail;
  cleaning: Cleaning;
  excluded: ExcludedCorrespondents;
  settings: DatasetSettings;
  drops: DropRow[];
  progress: (p: BuildProgress) => void;
}

/** Phase 3: each reply of the user with the message it answers, filtered; every reply left out is in `drops`. */
function pairReplies(ctx: PairingContext): Pair[] {
  const { mail, drops, progress } = ctx;
  const pairs: Pair[] = [];
  const seenKeys = new Set<string>();
  for (const [i, reply] of mail.own.entries()) {
    if (i % 200 === 0) progress({ phase: 'pair', done: i, total: mail.own.length });
    const key = reply.messageId ?? `content:${reply.contentId}`;
    // Two stored contents with one Message-ID (a copy whose headers an export or a second Sent folder changed) are
    // one message: the first is used; the key of an example must be unique.
    if (seenKeys.has(key)) {
      drops.push({ reply_key: `content:${reply.contentId}`, reason: 'duplicate', detail: `copy of ${key}` });
      continue;
    }
    seenKeys.add(key);
    const paired = pairReply(ctx, reply, key);
    if ('reason' in paired) drops.push({ reply_key: key, reason: paired.reason, detail: paired.detail ?? null });
    else pairs.push(paired);
  }
  return pairs;
}

/** Why a reply is not an example (a DropReason and, where it helps, what was seen). */
interface Dropped {
  reason: DropReason;
  detail?: string | null;
}

/** One reply: its parent and the cleaned texts of both, or why it is not an example (checks in this order). */
function pairReply(ctx: PairingContext, reply: DatasetMessage, key: string): Pair | Dropped {
  const { db, mail, excluded, settings } = ctx;
  const { clean, signatures } = ctx.cleaning;
  const isUserPerson = (p: Person) => isUser(p, mail.identity);
  // Mail in Sent from an address that is not the user's (an assistant with delegate access) is someone else's
  // writing.
  const author = reply.from[0];
  if (author?.address && !isUserPerson(author)) return { reason: 'not_from_user', detail: author.address };
  const r = clean(reply);
  if (r.error) return { reason: 'unreadable', detail: r.error };
  const quoted = r.quoted || r.forwarded ? safeQuoted(db, reply) : null;
  if (isForwardToThirdParty(reply, quoted, isUserPerson))
    return { reason: 'forward', detail: quoted?.from ? `forwards a message of ${personLabel(quoted.from)}` : null };
  const found = findParent(reply, quoted, mail.byMessageId, mail.bySubject, (m) => clean(m).ownText, mail.ownBySubject);
  if (!found)
    return { reason: reply.inReplyTo || reply.references.length || quoted ? 'parent_not_found' : 'not_a_reply' };
  const { parent, by } = found;
  // Privacy first: neither their words nor the user's words to them are learned.
  const excludedAddress = excludedPerson([...parent.from, ...reply.to, ...reply.cc], excluded);
  if (excludedAddress) return { reason: 'excluded_correspondent', detail: excludedAddress };
  const reconstructed = by === 'reconstructed';
  if (reconstructed ? parent.from.some(isUserPerson) : mail.ownContents.has(parent.contentId))
    return { reason: 'reply_to_self' };
  const p = reconstructed ? null : clean(parent);
  if (p?.error) return { reason: 'unreadable', detail: `parent: ${p.error}` };
  // A forward is answered for what it carries: the same rule as for a parent rebuilt from the quote (README).
  const parentText = reconstructed ? (quoted?.text ?? '') : p ? storedParentText(db, parent, p) : '';
  const parentSkips = (p?.skipReasons ?? []).filter((s) => s !== 'bare_forward' || !parentText.trim());
  const text = removeLearnedSignature(r.ownText ?? '', signatures);
  if (!text.trim()) return { reason: r.quoted ? 'quote_only' : 'empty_reply' };
  if (r.skipReasons.length) return { reason: 'junk_reply', detail: r.skipReasons.join(',') };
  if (parentSkips.length) return { reason: 'junk_parent', detail: parentSkips.join(',') };
  if (!parentText.trim()) return { reason: 'junk_parent', detail: 'the message answered has no text' };
  if (text.length > settings.maxReplyChars) return { reason: 'too_long', detail: `${text.length} characters` };
  const warnings = pairWarnings({ reply, parent, parentText, quoted, by, isUser: isUserPerson });
  return { reply, parent, by, text, key, parentText, evidence: found.evidence, warnings };
}

/** Phase 4: copies of one reply and templates are dropped (recorded in `drops`); the pairs kept. */
function dropCopies(pairs: readonly Pair[], settings: DatasetSettings, drops: DropRow[]): Pair[] {
  const deduped = dedupeReplies(
    pairs.map((p) => ({
      key: p.key,
      text: p.text,
      date: p.reply.date ?? 0,
      parentKey: parentIdentity(p),
      recipients: [...p.reply.to, ...p.reply.cc].map((a) => (a.address ?? a.name ?? '').toLowerCase()),
      thread: baseSubject(p.reply.subject),
    })),
    settings.keepTemplates,
  );
  for (const [key, reason] of deduped.dropped) {
    const original = deduped.duplicateOf.get(key);
    drops.push({ reply_key: key, reason, detail: original ? `copy of ${original}` : null });
  }
  return pairs.filter((p) => deduped.keep.has(p.key));
}

/**
 * Phase 5: the threads of the kept pairs, so that a thread's replies stay on one side of the time split. Old
 * clients set no References: a thread is then its base subject with the same correspondent.
 */
function threadsOf(kept: readonly Pair[]): Threads {
  const threads = new Threads();
  for (const p of kept) {
    const ids = [
      p.key,
      ...(p.by === 'reconstructed' ? [] : [p.parent.messageId ?? `content:${p.parent.contentId}`]),
      ...p.reply.references,
      ...p.parent.references,
    ];
    if (p.by !== 'headers')
      ids.push(`subject:${baseSubject(p.reply.subject)}|${p.parent.from[0]?.address ?? p.parent.from[0]?.name ?? ''}`);
    for (const id of ids.slice(1)) threads.link(ids[0] as string, id);
  }
  return threads;
}

/** Phase 6: each kept pair as the stored example: the prompt's input, the conversation, how it was paired. */
function renderExamples(input: {
  kept: readonly Pair[];
  mail: StoredMail;
  cleaning: Cleaning;
  excluded: ExcludedCorrespondents;
  threads: Threads;
  split: ReadonlyMap<string, 'train' | 'eval'>;
}): ExampleRow[] {
  const { mail, threads, split, excluded } = input;
  const { clean } = input.cleaning;
  const { identity } = mail;
  const user = { ...(identity.name ? { name: identity.name } : {}), addresses: [...identity.addresses] };
  return input.kept.map((p) => {
    const reconstructed = p.by === 'reconstructed';
    const prompt: PromptInput = {
      user,
      now: p.reply.date ?? Date.now(),
      incoming: {
        from: p.parent.from,
        to: p.parent.to,
        cc: p.parent.cc,
        date: p.parent.date,
        subject: p.parent.subject,
        body: p.parentText,
      },
      context: reconstructed
        ? []
        : threadContext(p.parent, mail.byMessageId, clean).filter((m) => !excludedPerson(m.from, excluded)),
    };
    const conversation = renderConversation(prompt, p.text);
    const language = clean(p.reply).language ?? (reconstructed ? null : clean(p.parent).language) ?? 'und';
    const pairing: PairingInfo = {
      by: p.by,
      evidence: p.evidence,
      warnings: p.warnings,
      reconstructed,
      parent: {
        from: p.parent.from[0] ?? null,
        date: p.parent.date,
        subject: p.parent.subject,
        messageId: p.parent.messageId,
      },
    };
    return {
      reply_key: p.key,
      reply_content: p.reply.contentId,
      parent_content: p.parent.contentId,
      paired_by: p.by,
      thread_key: threads.key(p.key),
      reply_date: p.reply.date ?? 0,
      correspondent: p.parent.from[0]?.address ?? null,
      language,
      reply_chars: p.text.length,
      split: split.get(p.key) ?? 'train',
      conversation: JSON.stringify({ messages: conversation }),
      source: JSON.stringify({ input: prompt, reply: p.text }),
      pairing: JSON.stringify(pairing),
    };
  });
}

/** The counts of a build's summary: examples per split and per way of pairing, drops per reason, languages. */
function countBuild(
  kept: readonly Pair[],
  examples: readonly ExampleRow[],
  drops: readonly DropRow[],
): Pick<
  BuildSummary,
  | 'examples'
  | 'train'
  | 'eval'
  | 'pairedByHeaders'
  | 'pairedByQuote'
  | 'pairedByReconstruction'
  | 'pairedBySubject'
  | 'flagged'
  | 'dropped'
  | 'languages'
> {
  const dropped: Partial<Record<DropReason, number>> = {};
  for (const d of drops) dropped[d.reason as DropReason] = (dropped[d.reason as DropReason] ?? 0) + 1;
  const languages: Record<string, number> = {};
  for (const e of examples) languages[e.language] = (languages[e.language] ?? 0) + 1;
  const pairedBy = (by: ExampleRow['paired_by']) => examples.filter((e) => e.paired_by === by).length;
  return {
    examples: examples.length,
    train: examples.filter((e) => e.split === 'train').length,
    eval: examples.filter((e) => e.split === 'eval').length,
    pairedByHeaders: pairedBy('headers'),
    pairedByQuote: pairedBy('quote'),
    pairedByReconstruction: pairedBy('reconstructed'),
    pairedBySubject: pairedBy('subject'),
    flagged: kept.filter((p) => p.warnings.length > 0).length,
    dropped,
    languages,
  };
}

/** The dataset cannot be built: NOT_SYNCED (nothing synced yet) exits 66, EX_NOINPUT (src/errors.ts). */
export class DatasetError extends UnderstudyError {
  declare readonly code: 'NOT_SYNCED';
  constructor(code: 'NOT_SYNCED', message: string) {
    super(code, 'final', message, { fix: 'run understudy sync first', fixInMessage: true });
    this.name = 'DatasetError';
  }
}

/** One DatasetMessage per content (the first copy's headers); in \Sent if any copy is. */
export function mergeCopies(copies: readonly Message[]): DatasetMessage[] {
  const out = new Map<number, DatasetMessage>();
  for (const m of copies) {
    const existing = out.get(m.contentId);
    if (existing) {
      existing.inSent ||= m.specialUse === '\\Sent';
      continue;
    }
    out.set(m.contentId, {
      contentId: m.contentId,
      messageId: m.messageId,
      inReplyTo: m.inReplyTo,
      // Parsed again: a store written before the sync normalised References may hold other forms.
      references: parseMessageIds(m.references.join(' ')),
      from: m.from,
      to: m.to,
      cc: m.cc,
      replyTo: m.replyTo,
      subject: m.subject,
      date: m.date,
      inSent: m.specialUse === '\\Sent',
    });
  }
  return [...out.values()];
}

/** The first quoted message of a reply, read from its stored body; null when it quotes nothing or cannot be read. */
/**
 * The text of a stored parent for training. A forward with no note or a trivial one ("FYI") stands for the message
 * it carries: its text is the note followed by the carried message's own text (its quotes removed), exactly as
 * quotedMessage() reads a forward quoted in a reply, so stored and rebuilt parents follow one rule. Any other parent
 * is its own text.
 */
function storedParentText(db: Db, parent: DatasetMessage, cleaned: CleanedText): string {
  const own = cleaned.ownText?.trim() ?? '';
  if (own && !cleaned.skipReasons.includes('bare_forward')) return cleaned.ownText ?? '';
  if (!own && !cleaned.quoted && !cleaned.forwarded) return '';
  const carried = safeQuoted(db, parent)?.text.trim() ?? '';
  if (!carried) return own;
  return own ? `${own}\n\n${carried}` : carried;
}

function safeQuoted(db: Db, reply: DatasetMessage): QuotedMessage | null {
  const row = contentForCleaning(db, reply.contentId);
  if (!row) return null;
  try {
    return quotedMessage({ text: row.body_text, html: row.body_html });
  } catch {
    return null;
  }
}

interface Pair {
  reply: DatasetMessage;
  /** The stored parent, or for `reconstructed` one rebuilt from the quote (reconstructParent()). */
  parent: DatasetMessage;
  by: PairedBy;
  text: string;
  key: string;
  parentText: string;
  evidence: string[];
  warnings: PairWarning[];
}

/**
 * Who the reply answers and what they wrote, for telling copies of one reply from the same words sent to others
 * (dedupeReplies): the sender and normalised text for a stored parent, so that copies of one incoming message with
 * other Message-IDs and skewed dates are one parent; the quoted sender, date and text for a reconstructed one.
 */
function parentIdentity(p: Pair): string {
  const from = p.parent.from[0];
  const sender = (from?.address ?? from?.name ?? '').toLowerCase();
  const text = p.parentText.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, 400);
  if (p.by === 'reconstructed') return `quote:${sender}:${p.parent.date ?? ''}:${text}`;
  return `message:${sender}:${text}`;
}

/** How an example's parent was found, stored with it (examples.pairing) for `dataset show` and the export. */
export interface PairingInfo {
  by: PairedBy;
  /** What agreed: "In-Reply-To", "References", "quoted text", "attribution sender", "attribution date", … */
  evidence: string[];
  warnings: PairWarning[];
  /** The parent is not stored: it was rebuilt from the first message quoted in the reply. */
  reconstructed: boolean;
  parent: { from: Person | null; date: number | null; subject: string | null; messageId: string | null };
}

/**
 * The message a reply answers: by headers (In-Reply-To, else the last References entry); else the stored message
 * that is the reply's FIRST quoted message (never one quoted deeper); else that quoted message rebuilt from the
 * quote; for a reply that quotes nothing, the latest message of its thread from someone it is addressed to, unless
 * the user wrote to them in the thread since (`ownBySubject`: the user's mail by base subject; see parentBySubject).
 * Null when there is neither a stored parent nor a complete quote.
 */
export function findParent(
  reply: DatasetMessage,
  quoted: QuotedMessage | null,
  byMessageId: ReadonlyMap<string, DatasetMessage>,
  bySubject: ReadonlyMap<string, DatasetMessage[]>,
  ownText: (m: DatasetMessage) => string | null,
  ownBySubject: ReadonlyMap<string, DatasetMessage[]> = new Map(),
): { parent: DatasetMessage; by: PairedBy; evidence: string[] } | null {
  const byHeaders = parentByHeaders(reply, byMessageId);
  if (byHeaders)
    return { parent: byHeaders, by: 'headers', evidence: [reply.inReplyTo ? 'In-Reply-To' : 'References'] };
  if (!quoted) {
    const bySubjectOnly = parentBySubject(reply, bySubject, ownBySubject);
    return bySubjectOnly ? { ...bySubjectOnly, by: 'subject' } : null;
  }
  const match = parentByQuote({ reply, quoted, bySubject, ownText });
  if (match) return { parent: match.parent, by: 'quote', evidence: match.evidence };
  const rebuilt = reconstructParent(reply, quoted);
  if (!rebuilt) return null;
  const evidence = [
    `quoted ${quoted.introducedBy === 'header' ? 'header block' : 'attribution'}`,
    ...(rebuilt.from[0] && addressedTo(reply, rebuilt.from[0]) ? ['reply addressed to its sender'] : []),
  ];
  return { parent: rebuilt, by: 'reconstructed', evidence };
}

function personLabel(p: Person): string {
  return p.address ?? p.name ?? 'someone';
}

/** The one or two messages before the parent in its thread, oldest first. */
export function threadContext(
  parent: DatasetMessage,
  byMessageId: ReadonlyMap<string, DatasetMessage>,
  clean: (m: DatasetMessage) => CleanedText,
): ThreadMessage[] {
  const context: ThreadMessage[] = [];
  let current = parent;
  for (let i = 0; i < 2; i++) {
    const up = parentByHeaders(current, byMessageId);
    if (!up || up.contentId === parent.contentId) break;
    const text = clean(up).ownText;
    if (text?.trim()) context.unshift({ from: up.from, date: up.date, body: text });
    current = up;
  }
  return context;
}

/** Removes a learned signature block from the end of the user's text. */
function removeLearnedSignature(text: string, signatures: readonly string[]): string {
  const trimmed = text.trimEnd();
  const flat = (s: string) => s.replace(/\s+/g, ' ').trim();
  for (const sig of signatures) {
    const s = flat(sig);
    if (!s) continue;
    const lines = trimmed.split('\n');
    for (let start = lines.length - 1; start >= Math.max(0, lines.length - 15); start--) {
      if (flat(lines.slice(start).join('\n')) === s) return lines.slice(0, start).join('\n').trimEnd();
    }
  }
  return trimmed;
}
