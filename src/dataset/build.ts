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
import {
  accountIdByName,
  contentForCleaning,
  type DropRow,
  type ExampleRow,
  lastBuild,
  messagesForDataset,
  recordBuild,
  replaceDataset,
  storeFingerprint,
} from '../store/dataset.js';
import type { Db } from '../store/db.js';
import type { Message } from '../store/messages.js';
import { CLEANING_RULES, type CleanedText, cleanedText } from './clean.js';
import { dedupeReplies } from './dedupe.js';
import { excludedCorrespondents, excludedPerson } from './exclude.js';
import { isFrom, isUser, userIdentity } from './identity.js';
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

const SETTINGS_VERSION = 'build-3';

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

  // 1. Every message once (copies in several mailboxes merged by content).
  progress({ phase: 'load', done: 0, total: 0 });
  const messages = mergeCopies(messagesForDataset(db, accountId));
  const identity = userIdentity(account.addresses, messages);
  const own = messages.filter((m) => m.inSent || isFrom(m.from, identity));
  const ownSet = new Set(own.map((m) => m.contentId));
  const byMessageId = new Map<string, DatasetMessage>();
  for (const m of messages) if (m.messageId && !byMessageId.has(m.messageId)) byMessageId.set(m.messageId, m);
  const bySubject = new Map<string, DatasetMessage[]>();
  for (const m of messages) {
    if (ownSet.has(m.contentId)) continue;
    const s = baseSubject(m.subject);
    const list = bySubject.get(s) ?? [];
    list.push(m);
    bySubject.set(s, list);
  }

  // 2. Clean what the user wrote (cached per content), and learn their recurring signature.
  const counter = { cleaned: 0 };
  const cache = new Map<number, CleanedText>();
  const clean = (m: DatasetMessage): CleanedText => {
    let c = cache.get(m.contentId);
    if (!c) {
      c = cleanedText(db, m.contentId, counter, Boolean(options.noCache));
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

  // 3. Pair each reply with the message it answers, then filter.
  const drops: DropRow[] = [];
  const drop = (key: string, reason: DropReason, detail: string | null = null) =>
    drops.push({ reply_key: key, reason, detail });
  const pairs: Pair[] = [];
  const seenKeys = new Set<string>();
  for (const [i, reply] of own.entries()) {
    if (i % 200 === 0) progress({ phase: 'pair', done: i, total: own.length });
    const key = reply.messageId ?? `content:${reply.contentId}`;
    // Two stored contents with one Message-ID (a copy whose headers an export or a second Sent folder changed) are
    // one message: the first is used; the key of an example must be unique.
    if (seenKeys.has(key)) {
      drop(`content:${reply.contentId}`, 'duplicate', `copy of ${key}`);
      continue;
    }
    seenKeys.add(key);
    // Mail in Sent from an address that is not the user's (an assistant with delegate access) is someone
    // else's writing.
    const author = reply.from[0];
    if (author?.address && !isUser(author, identity)) {
      drop(key, 'not_from_user', author.address);
      continue;
    }
    const r = clean(reply);
    if (r.error) {
      drop(key, 'unreadable', r.error);
      continue;
    }
    const quoted = r.quoted || r.forwarded ? safeQuoted(db, reply) : null;
    if (isForwardToThirdParty(reply, quoted)) {
      drop(key, 'forward', quoted?.from ? `forwards a message of ${personLabel(quoted.from)}` : null);
      continue;
    }
    const found = findParent(reply, quoted, byMessageId, bySubject, (m) => clean(m).ownText);
    if (!found) {
      drop(key, reply.inReplyTo || reply.references.length || quoted ? 'parent_not_found' : 'not_a_reply');
      continue;
    }
    const { parent, by } = found;
    // Privacy first: neither their words nor the user's words to them are learned.
    const excludedAddress = excludedPerson([...parent.from, ...reply.to, ...reply.cc], excluded);
    if (excludedAddress) {
      drop(key, 'excluded_correspondent', excludedAddress);
      continue;
    }
    if (by === 'reconstructed' ? parent.from.some((p) => isUser(p, identity)) : ownSet.has(parent.contentId)) {
      drop(key, 'reply_to_self');
      continue;
    }
    const parentText = by === 'reconstructed' ? (quoted?.text ?? '') : (clean(parent).ownText ?? '');
    if (by !== 'reconstructed') {
      const p = clean(parent);
      if (p.error) {
        drop(key, 'unreadable', `parent: ${p.error}`);
        continue;
      }
    }
    const text = removeLearnedSignature(r.ownText ?? '', signatures);
    if (!text.trim()) {
      drop(key, r.quoted ? 'quote_only' : 'empty_reply');
      continue;
    }
    if (r.skipReasons.length) {
      drop(key, 'junk_reply', r.skipReasons.join(','));
      continue;
    }
    if (by !== 'reconstructed' && clean(parent).skipReasons.length) {
      drop(key, 'junk_parent', clean(parent).skipReasons.join(','));
      continue;
    }
    if (!parentText.trim()) {
      drop(key, 'junk_parent', 'the message answered has no text');
      continue;
    }
    if (text.length > settings.maxReplyChars) {
      drop(key, 'too_long', `${text.length} characters`);
      continue;
    }
    const warnings = pairWarnings({
      reply,
      parent,
      parentText,
      quoted,
      by,
      isUser: (p) => isUser(p, identity),
    });
    pairs.push({ reply, parent, by, text, key, parentText, evidence: found.evidence, warnings });
  }

  // 4. Duplicates and templates.
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
    drop(key, reason, original ? `copy of ${original}` : null);
  }
  const kept = pairs.filter((p) => deduped.keep.has(p.key));

  // 5. Threads and the time split. Old clients set no References: a thread is then its base subject with the
  // same correspondent, so that a thread's replies stay on one side of the split.
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
  const split = splitByTime(
    kept.map((p) => ({ key: p.key, thread: threads.key(p.key), date: p.reply.date ?? 0 })),
    settings.evalFraction,
  );

  // 6. Render and store.
  progress({ phase: 'write', done: 0, total: kept.length });
  const user = { ...(identity.name ? { name: identity.name } : {}), addresses: [...identity.addresses] };
  const examples: ExampleRow[] = kept.map((p) => {
    const input: PromptInput = {
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
      context:
        p.by === 'reconstructed'
          ? []
          : threadContext(p.parent, byMessageId, (m) => clean(m)).filter((m) => !excludedPerson(m.from, excluded)),
    };
    const conversation = renderConversation(input, p.text);
    const language = clean(p.reply).language ?? (p.by === 'reconstructed' ? null : clean(p.parent).language) ?? 'und';
    const pairing: PairingInfo = {
      by: p.by,
      evidence: p.evidence,
      warnings: p.warnings,
      reconstructed: p.by === 'reconstructed',
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
      source: JSON.stringify({ input, reply: p.text }),
      pairing: JSON.stringify(pairing),
    };
  });
  replaceDataset(db, accountId, examples, drops);

  const dropped: Partial<Record<DropReason, number>> = {};
  for (const d of drops) dropped[d.reason as DropReason] = (dropped[d.reason as DropReason] ?? 0) + 1;
  const languages: Record<string, number> = {};
  for (const e of examples) languages[e.language] = (languages[e.language] ?? 0) + 1;
  const summary: BuildSummary = {
    account: account.name,
    upToDate: false,
    messages: messages.length,
    sent: own.length,
    examples: examples.length,
    train: examples.filter((e) => e.split === 'train').length,
    eval: examples.filter((e) => e.split === 'eval').length,
    pairedByHeaders: examples.filter((e) => e.paired_by === 'headers').length,
    pairedByQuote: examples.filter((e) => e.paired_by === 'quote').length,
    pairedByReconstruction: examples.filter((e) => e.paired_by === 'reconstructed').length,
    pairedBySubject: examples.filter((e) => e.paired_by === 'subject').length,
    flagged: kept.filter((p) => p.warnings.length > 0).length,
    dropped,
    languages,
    cleaned: counter.cleaned,
    durationMs: Date.now() - started,
  };
  recordBuild(db, accountId, fingerprint, summary);
  return summary;
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
 * quote; for a reply that quotes nothing, the latest message of its thread from someone it is addressed to.
 * Null when there is neither a stored parent nor a complete quote.
 */
export function findParent(
  reply: DatasetMessage,
  quoted: QuotedMessage | null,
  byMessageId: ReadonlyMap<string, DatasetMessage>,
  bySubject: ReadonlyMap<string, DatasetMessage[]>,
  ownText: (m: DatasetMessage) => string | null,
): { parent: DatasetMessage; by: PairedBy; evidence: string[] } | null {
  const byHeaders = parentByHeaders(reply, byMessageId);
  if (byHeaders)
    return { parent: byHeaders, by: 'headers', evidence: [reply.inReplyTo ? 'In-Reply-To' : 'References'] };
  if (!quoted) {
    const bySubjectOnly = parentBySubject(reply, bySubject);
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
