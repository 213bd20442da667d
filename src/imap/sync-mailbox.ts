// Synchronises one mailbox into the store: UIDVALIDITY check, new mail by UID range, flag
// changes by CONDSTORE CHANGEDSINCE, expunges by QRESYNC VANISHED or by comparing UID sets.
//
// Crash safety, mbsync style: each batch of new messages is one transaction, written in UID
// order, and the mailbox's UIDNEXT/HIGHESTMODSEQ are only advanced once everything below them
// is stored. A kill at any instant therefore leaves a state from which the next run simply
// continues: new mail resumes above the highest stored UID, and flag/expunge detection
// restarts from the last complete HIGHESTMODSEQ.
import type { FetchMessageObject, ImapFlow, MailboxObject } from 'imapflow';
import type { SyncSettings } from '../config/load.js';
import type { Logger } from '../config/logger.js';
import { headerText, normalizeMessageId, parseDate, parseHeaderBlock, parseMessageIds } from '../mail/headers.js';
import { decodeTextPart } from '../mail/part-decode.js';
import type { Db } from '../store/db.js';
import { ensureMailbox, finishMailboxSync, type MailboxRow, resetMailbox } from '../store/mailboxes.js';
import {
  type Address,
  countMessages,
  deleteUids,
  type FlagChange,
  insertMessages,
  localFlags,
  maxUid,
  type NewMessage,
  storedContentKeys,
  updateFlags,
} from '../store/messages.js';
import { type PartPlan, planParts, type TextPartRef } from './body-structure.js';
import type { MailboxInfo } from './discover.js';
import { chunk, toUidSet } from './uid-set.js';

export interface MailboxProgress {
  mailbox: string;
  phase: 'select' | 'fetch' | 'flags' | 'done';
  done: number;
  total: number;
}

export interface MailboxSyncContext {
  db: Db;
  accountId: number;
  client: ImapFlow;
  settings: SyncSettings;
  logger?: Logger | undefined;
  onProgress?: ((p: MailboxProgress) => void) | undefined;
  /** UIDs the server reported gone (VANISHED or EXPUNGE) on this connection, per mailbox path. */
  vanished: Map<string, Set<number>>;
}

export interface MailboxSyncResult {
  path: string;
  added: number;
  flagsChanged: number;
  expunged: number;
  /** True when UIDVALIDITY changed and the mailbox was fetched again from scratch. */
  reset: boolean;
  /** Messages the server holds in the mailbox. */
  exists: number;
  /** True when nothing had changed since the last sync (answered from the mailbox status alone). */
  unchanged: boolean;
}

/** Longest header block kept; anything longer is hostile or broken, and the rest is dropped. */
const MAX_HEADER_BYTES = 256 * 1024;

export async function syncMailbox(ctx: MailboxSyncContext, box: MailboxInfo): Promise<MailboxSyncResult> {
  const { db, client } = ctx;
  const progress = (phase: MailboxProgress['phase'], done: number, total: number) =>
    ctx.onProgress?.({ mailbox: box.path, phase, done, total });
  progress('select', 0, 0);

  let row = ensureMailbox(db, ctx.accountId, box);
  ctx.vanished.set(box.path, new Set());
  const mailbox = await client.mailboxOpen(box.path, { readOnly: true });
  const uidValidity = Number(mailbox.uidValidity);
  const result: MailboxSyncResult = { path: box.path, added: 0, flagsChanged: 0, expunged: 0, reset: false, exists: mailbox.exists, unchanged: false };

  if (row.uidvalidity !== uidValidity) {
    // RFC 3501 §2.3.1.1: new UIDVALIDITY, old UIDs mean nothing. Start this mailbox over.
    result.reset = row.uidvalidity !== null;
    if (result.reset) ctx.logger?.warn({ mailbox: box.path, was: row.uidvalidity, now: uidValidity }, 'UIDVALIDITY changed; resyncing mailbox');
    resetMailbox(db, row.id, uidValidity);
    row = ensureMailbox(db, ctx.accountId, box);
  }

  const serverModseq = condstoreModseq(client, mailbox);
  const storedBefore = countMessages(db, row.id);
  if (
    serverModseq !== null &&
    row.highestmodseq === serverModseq &&
    row.uidnext === mailbox.uidNext &&
    storedBefore === mailbox.exists
  ) {
    // RFC 7162 §3.1.2.1: every change (new mail, flags, expunge) raises HIGHESTMODSEQ, so an
    // equal value with an equal UIDNEXT means there is nothing to fetch.
    finishMailboxSync(db, row.id, { uidnext: row.uidnext, highestmodseq: serverModseq, at: Date.now() });
    result.unchanged = true;
    progress('done', mailbox.exists, mailbox.exists);
    return result;
  }

  // New messages: everything at or above the first UID we do not hold.
  const from = Math.max(row.uidnext, maxUid(db, row.id) + 1);
  if (mailbox.exists > 0 && mailbox.uidNext > from) {
    const found = await client.search({ uid: `${from}:*` }, { uid: true });
    // `from:*` always matches the highest message, even below `from` (RFC 3501 §6.4.8).
    const uids = (found || []).filter((uid) => uid >= from).sort((a, b) => a - b);
    progress('fetch', 0, uids.length);
    for (const batch of chunk(uids, ctx.settings.batchSize)) {
      const messages = await fetchBatch(ctx, row, batch);
      insertMessages(db, ctx.accountId, row.id, messages);
      result.added += messages.length;
      progress('fetch', result.added, uids.length);
    }
  }

  // Flag changes and expunges among the messages we held before this run.
  if (storedBefore > 0) {
    progress('flags', 0, 0);
    const gone = ctx.vanished.get(box.path) ?? new Set<number>();
    if (serverModseq !== null && row.highestmodseq !== null) {
      const changes: FlagChange[] = [];
      for await (const msg of client.fetch('1:*', { uid: true, flags: true }, { uid: true, changedSince: BigInt(row.highestmodseq) })) {
        changes.push(flagChange(msg));
      }
      result.flagsChanged = updateFlags(db, row.id, changes);
      // With QRESYNC the FETCH above carried VANISHED (EARLIER) (RFC 7162 §3.2.5.2), which the
      // expunge handler collected. Without it, compare UID sets.
      if (!client.enabled.has('QRESYNC')) for (const uid of await missingUids(ctx, row)) gone.add(uid);
    } else {
      // No usable MODSEQ: read every flag, which also tells which UIDs still exist.
      const known = localFlags(db, row.id);
      const seen = new Set<number>();
      const changes: FlagChange[] = [];
      for await (const msg of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) {
        seen.add(msg.uid);
        const change = flagChange(msg);
        if (known.get(msg.uid) !== change.flags.join(' ')) changes.push(change);
      }
      result.flagsChanged = updateFlags(db, row.id, changes);
      for (const uid of known.keys()) if (!seen.has(uid)) gone.add(uid);
    }
    result.expunged = deleteUids(db, row.id, [...gone]);
  } else {
    // Messages expunged while we were fetching them.
    result.expunged = deleteUids(db, row.id, [...(ctx.vanished.get(box.path) ?? [])]);
  }

  finishMailboxSync(db, row.id, {
    uidnext: Math.max(mailbox.uidNext, maxUid(db, row.id) + 1),
    highestmodseq: serverModseq,
    at: Date.now(),
  });
  progress('done', mailbox.exists, mailbox.exists);
  return result;
}

/** HIGHESTMODSEQ as a decimal string when CONDSTORE (RFC 7162) is usable here, else null. */
function condstoreModseq(client: ImapFlow, mailbox: MailboxObject): string | null {
  if (!client.enabled.has('CONDSTORE') || mailbox.noModseq || mailbox.highestModseq === undefined) return null;
  return mailbox.highestModseq.toString();
}

function flagChange(msg: FetchMessageObject): FlagChange {
  return { uid: msg.uid, flags: storedFlags(msg.flags), modseq: msg.modseq?.toString() ?? null };
}

/**
 * Flags as stored: sorted, without \Recent, which is per-session state rather than a property
 * of the message (RFC 3501 §2.3.2; dropped by IMAP4rev2, RFC 9051).
 */
function storedFlags(flags: Set<string> | undefined): string[] {
  return [...(flags ?? [])].filter((f) => f.toLowerCase() !== '\\recent').sort();
}

/** UIDs we hold that the server no longer has (UID SEARCH ALL, RFC 3501 §6.4.4). */
async function missingUids(ctx: MailboxSyncContext, row: MailboxRow): Promise<number[]> {
  const onServer = new Set((await ctx.client.search({ all: true }, { uid: true })) || []);
  return [...localFlags(ctx.db, row.id).keys()].filter((uid) => !onServer.has(uid));
}

/**
 * Fetches one batch in two rounds: first flags, envelope, headers and BODYSTRUCTURE; then only
 * the text parts, grouped so that messages with the same part layout share one FETCH.
 * Attachments are never downloaded.
 */
async function fetchBatch(ctx: MailboxSyncContext, row: MailboxRow, uids: number[]): Promise<NewMessage[]> {
  const { client } = ctx;
  const metas: FetchMessageObject[] = [];
  const query = { uid: true, flags: true, envelope: true, bodyStructure: true, internalDate: true, size: true, headers: true };
  for await (const msg of client.fetch(toUidSet(uids), query, { uid: true })) metas.push(msg);
  metas.sort((a, b) => a.uid - b.uid);

  const prepared = metas.map((meta) => prepareMessage(meta, row));
  const already = storedContentKeys(ctx.db, ctx.accountId, prepared.map((p) => p.message.content.dedupeKey));

  // Group the messages that still need their text by the list of parts to fetch.
  const groups = new Map<string, { parts: string[]; uids: number[] }>();
  for (const p of prepared) {
    if (already.has(p.message.content.dedupeKey)) {
      p.message.content = { dedupeKey: p.message.content.dedupeKey, stored: true };
      continue;
    }
    const parts = [...p.plan.plain, ...p.plan.html].map((ref) => ref.part);
    if (parts.length === 0) continue;
    const key = parts.join(' ');
    const group = groups.get(key) ?? { parts, uids: [] };
    group.uids.push(p.message.uid);
    groups.set(key, group);
  }

  const cap = ctx.settings.maxPartBytes;
  const bodies = new Map<number, Map<string, Buffer>>();
  for (const group of groups.values()) {
    const bodyParts = group.parts.map((key) => ({ key, maxLength: cap }));
    for await (const msg of client.fetch(toUidSet(group.uids), { uid: true, bodyParts }, { uid: true })) {
      if (msg.bodyParts) bodies.set(msg.uid, msg.bodyParts);
    }
  }

  for (const p of prepared) {
    const content = p.message.content;
    if ('stored' in content) continue;
    const parts = bodies.get(p.message.uid);
    const plain = decodeParts(p.plan.plain, parts);
    const html = decodeParts(p.plan.html, parts);
    content.bodyText = plain.text;
    content.bodyHtml = html.text;
    content.textTruncated = plain.truncated || html.truncated || [...p.plan.plain, ...p.plan.html].some((r) => r.size > cap);
  }
  return prepared.map((p) => p.message);

  function decodeParts(refs: TextPartRef[], parts: Map<string, Buffer> | undefined): { text: string | null; truncated: boolean } {
    if (refs.length === 0 || !parts) return { text: null, truncated: false };
    const texts: string[] = [];
    let truncated = false;
    for (const ref of refs) {
      const raw = partBuffer(parts, ref.part);
      if (!raw) continue;
      if (raw.length >= cap) truncated = true;
      texts.push(decodeTextPart(raw, { encoding: ref.encoding, charset: ref.charset }));
    }
    return { text: texts.length ? texts.join('\n') : null, truncated };
  }
}

/** imapflow keys a partial body by its section; accept both "1" and "1<0>" spellings. */
function partBuffer(parts: Map<string, Buffer>, part: string): Buffer | undefined {
  const direct = parts.get(part) ?? parts.get(part.toLowerCase());
  if (direct) return direct;
  for (const [key, value] of parts) if (key.replace(/<\d+>$/, '').replace(/\]$/, '') === part.toLowerCase()) return value;
  return undefined;
}

function prepareMessage(meta: FetchMessageObject, row: MailboxRow): { message: NewMessage; plan: PartPlan } {
  const rawHeaders = (meta.headers ?? Buffer.alloc(0)).subarray(0, MAX_HEADER_BYTES).toString('utf8');
  const headers = parseHeaderBlock(rawHeaders);
  const env = meta.envelope ?? {};
  const plan = planParts(meta.bodyStructure);
  const messageId = normalizeMessageId(env.messageId ?? headerText(headers, 'message-id'));
  const size = meta.size ?? null;
  const dedupeKey = messageId ? `${messageId}/${size ?? 0}` : `${row.id}/${row.uidvalidity}/${meta.uid}`;
  const internalDate = parseDate(meta.internalDate ?? null);
  return {
    plan,
    message: {
      uid: meta.uid,
      messageId,
      inReplyTo: normalizeMessageId(env.inReplyTo ?? headerText(headers, 'in-reply-to')),
      references: parseMessageIds(headers.references?.join(' ')),
      from: addresses(env.from),
      to: addresses(env.to),
      cc: addresses(env.cc),
      replyTo: addresses(env.replyTo),
      subject: env.subject ?? headerText(headers, 'subject'),
      date: parseDate(env.date ?? headerText(headers, 'date')) ?? internalDate,
      internalDate,
      flags: storedFlags(meta.flags),
      modseq: meta.modseq?.toString() ?? null,
      size,
      listId: headerText(headers, 'list-id'),
      listUnsubscribe: headerText(headers, 'list-unsubscribe'),
      autoSubmitted: headerText(headers, 'auto-submitted'),
      precedence: headerText(headers, 'precedence'),
      content: {
        dedupeKey,
        headers: rawHeaders,
        mimeType: plan.mimeType,
        bodyText: null,
        bodyHtml: null,
        textTruncated: false,
        attachments: plan.attachments,
      },
    },
  };
}

function addresses(list: { name?: string | undefined; address?: string | undefined }[] | undefined): Address[] {
  return (list ?? []).map((a) => ({ ...(a.name ? { name: a.name } : {}), ...(a.address ? { address: a.address.toLowerCase() } : {}) }));
}
