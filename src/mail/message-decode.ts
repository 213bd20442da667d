// A whole raw message (an .eml file) → the bodies sync would store for it (pure): the same structure planning, part
// selection and decoding as src/imap/sync-mailbox.ts, so `understudy mail reply-text FILE` shows what trains the model.
import { UnderstudyError } from '../errors.js';
import { decodeHeaderBytes } from './headers.js';
import { type MimeNode, parseMimeTree } from './mime-tree.js';
import { decodeBodies, type PartInfo, planParts } from './part-plan.js';

/** The per-part cap sync applies by default (config `sync.max_part_kb` = 512). */
export const DEFAULT_MAX_PART_BYTES = 512 * 1024;

export interface DecodeMessageOptions {
  /** Decode as a message of the user's Sent mailbox: sync then also fetches the HTML alternative. Default false. */
  sent?: boolean;
  /** Longest part body read, in bytes, as sync's `maxPartBytes`. Default DEFAULT_MAX_PART_BYTES. */
  maxPartBytes?: number;
  /** Keep only these header fields in `headers`, as sync's BODY.PEEK[HEADER.FIELDS (…)] does; default all. */
  headerFields?: readonly string[];
}

/** What sync stores in `contents` for a message (the columns cleanContent reads). */
export interface StoredMessage {
  /** The header block (only `headerFields` when given), ending with the blank line, UTF-8 read. */
  headers: string;
  /** The root MIME type, lower case. */
  mimeType: string;
  bodyText: string | null;
  bodyHtml: string | null;
  textTruncated: boolean;
  attachments: PartInfo[];
  /** Structural faults that were tolerated (a boundary that never appears, …); empty for a well-formed message. */
  problems: string[];
  /** Why the structure was not read to the end (thousands of parts, runaway nesting: hostile input), or null. */
  cutOff: string | null;
}

export type MessageDecodeErrorCode = 'EMPTY' | 'NOT_A_MESSAGE';

/** A file that is not a message at all. `code`: EMPTY (no bytes) or NOT_A_MESSAGE (no header field before the body). */
export class MessageDecodeError extends UnderstudyError {
  declare readonly code: MessageDecodeErrorCode;
  constructor(message: string, code: MessageDecodeErrorCode, options?: { cause?: unknown }) {
    super(code, 'final', message, {
      fix: 'give a whole message (.eml); for a bare body use --text or --html',
      cause: options?.cause,
    });
    this.name = 'MessageDecodeError';
  }
}

/**
 * Decodes a raw RFC 5322 message the way sync stores it: its structure is read (mime-tree.ts, as the server's
 * BODYSTRUCTURE), planParts picks the inline text parts, partsToFetch the ones sync downloads, and each part's body
 * octets (cut at `maxPartBytes`) go through decodeTextPart. Malformed MIME is tolerated and listed in `problems`.
 * Throws MessageDecodeError (EMPTY, NOT_A_MESSAGE) when the bytes are no message at all.
 */
export function decodeMessage(input: Buffer, options: DecodeMessageOptions = {}): StoredMessage {
  if (input.length === 0 || input.toString('latin1').trim() === '') {
    throw new MessageDecodeError('the file is empty', 'EMPTY');
  }
  const raw = withCrlf(input);
  const tree = parseMimeTree(raw);
  // An mbox "From " line may precede the fields; a header with no field at all, or binary bytes, is no message.
  if (!/^[\x21-\x39\x3b-\x7e]+[ \t]*:/m.test(tree.header) || tree.header.includes('\u0000')) {
    throw new MessageDecodeError(
      'not an RFC 5322 message: it has no header fields ("From: …", "Subject: …"); for a bare body use --text or --html',
      'NOT_A_MESSAGE',
    );
  }
  const cap = options.maxPartBytes ?? DEFAULT_MAX_PART_BYTES;
  const leaves = new Map<string, MimeNode>();
  collect(tree.root, leaves);
  const plan = planParts(tree.root);
  const bodies = decodeBodies(
    plan,
    options.sent ?? false,
    (part) => {
      const node = leaves.get(part);
      return node ? raw.subarray(node.bodyStart, Math.min(node.bodyEnd, node.bodyStart + cap)) : undefined;
    },
    cap,
  );
  const header = options.headerFields ? selectFields(tree.header, options.headerFields) : tree.header;
  return {
    // Raw 8-bit header bytes: UTF-8 when valid, else the body's declared charset (as sync reads them).
    headers: `${decodeHeaderBytes(Buffer.from(header.replace(/(?:\r?\n)*$/, ''), 'latin1'), plan.plain[0]?.charset ?? plan.html[0]?.charset)}\r\n\r\n`,
    mimeType: plan.mimeType,
    bodyText: bodies.text,
    bodyHtml: bodies.html,
    textTruncated: bodies.truncated,
    attachments: plan.attachments,
    problems: tree.problems,
    cutOff: tree.cutOff,
  };
}

/**
 * Line ends as an IMAP server delivers them: CRLF (RFC 5322 §2.1, RFC 3501 §4.3). A file saved on Unix has bare LFs,
 * which the server turns into CRLF when the message is delivered or appended; without this the stored text would
 * differ in its line ends from what sync stores.
 */
function withCrlf(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  if (!/(?:^|[^\r])\n/.test(text)) return raw;
  return Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
}

/** Leaves by part number; a single-part message's body is part "1" (RFC 3501 §6.4.5). */
function collect(node: MimeNode, out: Map<string, MimeNode>): void {
  if (node.childNodes && node.childNodes.length > 0) for (const child of node.childNodes) collect(child, out);
  else out.set(node.part ?? '1', node);
}

/** The named fields of a header block with their folded lines, in order (RFC 3501 HEADER.FIELDS). */
function selectFields(header: string, names: readonly string[]): string {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: string[] = [];
  let keep = false;
  for (const line of header.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (keep) out.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    keep = colon > 0 && wanted.has(line.slice(0, colon).trim().toLowerCase());
    if (keep) out.push(line);
  }
  return out.join('\r\n');
}
