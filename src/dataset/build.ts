// Builds the writing-style dataset of an account: pairs every reply the user sent with the
// message it answers, cleans both, filters, deduplicates, splits by time and renders each pair
// as a chat conversation. Cleaning is cached per content, so a rebuild after a sync only
// cleans what is new.
import type { AccountConfig, DatasetSettings } from '../config/load.js';
import { parseMessageIds } from '../mail/headers.js';
import { quotedOriginal } from '../mail/reply-text.js';
import { learnSignatures } from '../mail/signatures.js';
import {
  accountIdByName,
  type DropRow,
  type ExampleRow,
  lastBuild,
  messagesForDataset,
  recordBuild,
  replaceDataset,
  storeFingerprint,
} from '../store/dataset.js';
import type { Db } from '../store/db.js';
import { CLEANING_RULES, type CleanedText, cleanedText } from './clean.js';
import { dedupeReplies } from './dedupe.js';
import { isFrom, userIdentity } from './identity.js';
import { type DatasetMessage, type PairedBy, parentByHeaders, parentByQuote } from './pairing.js';
import { type Person, type PromptInput, renderConversation, type ThreadMessage } from './prompt.js';
import { splitByTime } from './split.js';
import { baseSubject, Threads } from './thread.js';

export type DropReason =
  | 'unreadable'
  | 'not_a_reply'
  | 'parent_not_found'
  | 'reply_to_self'
  | 'empty_reply'
  | 'quote_only'
  | 'junk_reply'
  | 'junk_parent'
  | 'too_long'
  | 'duplicate'
  | 'template';

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

const SETTINGS_VERSION = 'build-1';

export function buildDataset(options: BuildOptions): BuildSummary {
  const { db, account, settings } = options;
  const started = Date.now();
  const accountId = accountIdByName(db, account.name);
  if (accountId === undefined)
    throw new DatasetError(
      'NOT_SYNCED',
      `account "${account.name}" has not been synced yet; run understudy sync first`,
    );
  const fingerprint = `${storeFingerprint(db, accountId)}|${CLEANING_RULES}|${SETTINGS_VERSION}|${JSON.stringify(settings)}|${account.addresses.join(',')}`;
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
  const signatures = learnSignatures(own.map((m) => cache.get(m.contentId)?.ownText ?? '').filter(Boolean));

  // 3. Pair each reply with its parent, then filter.
  const drops: DropRow[] = [];
  const drop = (key: string, reason: DropReason, detail: string | null = null) =>
    drops.push({ reply_key: key, reason, detail });
  const pairs: { reply: DatasetMessage; parent: DatasetMessage; by: PairedBy; text: string; key: string }[] = [];
  for (const [i, reply] of own.entries()) {
    if (i % 200 === 0) progress({ phase: 'pair', done: i, total: own.length });
    const key = reply.messageId ?? `content:${reply.contentId}`;
    const r = clean(reply);
    if (r.error) {
      drop(key, 'unreadable', r.error);
      continue;
    }
    let parent = parentByHeaders(reply, byMessageId);
    let by: PairedBy = 'headers';
    if (!parent) {
      const quoted = safeQuoted(db, reply, r);
      if (quoted) {
        parent = parentByQuote({
          reply,
          attribution: quoted.attribution,
          quotedText: quoted.text,
          bySubject,
          ownText: (m) => clean(m).ownText,
        });
        by = 'quote';
      }
      if (!parent) {
        drop(key, reply.inReplyTo || reply.references.length || quoted ? 'parent_not_found' : 'not_a_reply');
        continue;
      }
    }
    if (ownSet.has(parent.contentId)) {
      drop(key, 'reply_to_self');
      continue;
    }
    const p = clean(parent);
    if (p.error) {
      drop(key, 'unreadable', `parent: ${p.error}`);
      continue;
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
    if (p.skipReasons.length) {
      drop(key, 'junk_parent', p.skipReasons.join(','));
      continue;
    }
    if (!(p.ownText ?? '').trim()) {
      drop(key, 'junk_parent', 'the message answered has no text');
      continue;
    }
    if (text.length > settings.maxReplyChars) {
      drop(key, 'too_long', `${text.length} characters`);
      continue;
    }
    pairs.push({ reply, parent, by, text, key });
  }

  // 4. Duplicates and templates.
  const deduped = dedupeReplies(
    pairs.map((p) => ({ key: p.key, text: p.text, date: p.reply.date ?? 0, parentContent: p.parent.contentId })),
    settings.keepTemplates,
  );
  for (const [key, reason] of deduped.dropped) drop(key, reason);
  const kept = pairs.filter((p) => deduped.keep.has(p.key));

  // 5. Threads and the time split.
  const threads = new Threads();
  for (const p of kept) {
    const ids = [
      p.key,
      p.parent.messageId ?? `content:${p.parent.contentId}`,
      ...p.reply.references,
      ...p.parent.references,
    ];
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
    const parentText = clean(p.parent).ownText ?? '';
    const input: PromptInput = {
      user,
      now: p.reply.date ?? Date.now(),
      incoming: {
        from: p.parent.from,
        to: p.parent.to,
        cc: p.parent.cc,
        date: p.parent.date,
        subject: p.parent.subject,
        body: parentText,
      },
      context: threadContext(p.parent, byMessageId, (m) => clean(m)),
    };
    const conversation = renderConversation(input, p.text);
    const language = clean(p.reply).language ?? clean(p.parent).language ?? 'und';
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
    dropped,
    languages,
    cleaned: counter.cleaned,
    durationMs: Date.now() - started,
  };
  recordBuild(db, accountId, fingerprint, summary);
  return summary;
}

export class DatasetError extends Error {
  readonly code: 'NOT_SYNCED';
  constructor(code: 'NOT_SYNCED', message: string) {
    super(message);
    this.name = 'DatasetError';
    this.code = code;
  }
}

export interface DatasetRow {
  content_id: number;
  special_use: string | null;
  message_id: string | null;
  in_reply_to: string | null;
  refs: string | null;
  from_addr: string | null;
  to_addrs: string | null;
  cc_addrs: string | null;
  reply_to?: string | null;
  subject: string | null;
  date: number | null;
}

/** One DatasetMessage per content; in \Sent if any copy is. */
export function mergeCopies(rows: DatasetRow[]): DatasetMessage[] {
  const out = new Map<number, DatasetMessage>();
  for (const r of rows) {
    const existing = out.get(r.content_id);
    if (existing) {
      existing.inSent ||= r.special_use === '\\Sent';
      continue;
    }
    out.set(r.content_id, {
      contentId: r.content_id,
      messageId: r.message_id,
      inReplyTo: r.in_reply_to,
      references: parseMessageIds(r.refs),
      from: people(r.from_addr),
      to: people(r.to_addrs),
      cc: people(r.cc_addrs),
      replyTo: people(r.reply_to ?? null),
      subject: r.subject,
      date: r.date,
      inSent: r.special_use === '\\Sent',
    });
  }
  return [...out.values()];
}

function people(json: string | null): Person[] {
  if (!json) return [];
  try {
    return JSON.parse(json) as Person[];
  } catch {
    return [];
  }
}

/** The quoted original of a reply, read from its stored body. */
function safeQuoted(db: Db, reply: DatasetMessage, cleaned: CleanedText): ReturnType<typeof quotedOriginal> {
  if (!cleaned.quoted) return null;
  const row = db.prepare('SELECT body_text, body_html FROM contents WHERE id = ?').get(reply.contentId) as
    | { body_text: string | null; body_html: string | null }
    | undefined;
  if (!row) return null;
  try {
    return quotedOriginal({ text: row.body_text, html: row.body_html });
  } catch {
    return null;
  }
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
