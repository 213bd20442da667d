// Bounds a raw header block (pure, bytes in, bytes out): each field capped, the block capped, and the threading
// fields always kept, so that a megabyte Subject can neither cost megabytes downstream nor push the Message-ID out.

/** Longest single field kept, in bytes (name, value and folds). A To: of a few hundred recipients still fits. */
export const MAX_FIELD_BYTES = 32 * 1024;
/** Longest header block kept, in bytes, the threading fields not counted against it. */
export const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

/**
 * Fields that decide threading and pairing (RFC 5322 §3.6.4, §3.6.2, §3.3): their first occurrence is kept
 * whatever else the block holds.
 */
const THREADING = new Set(['message-id', 'in-reply-to', 'references', 'from', 'date']);

export interface BoundedHeaders {
  /** The header block with every kept field whole or cut at MAX_FIELD_BYTES, ending in the blank line. */
  bytes: Buffer;
  /** Lower-cased names of the fields that were cut short or dropped, in order, once each; empty when none. */
  truncated: string[];
}

export interface HeaderBoundOptions {
  maxFieldBytes?: number;
  maxBlockBytes?: number;
}

interface Field {
  name: string;
  bytes: Buffer;
  keep: boolean;
}

/**
 * Splits `raw` (a header block as FETCH BODY[HEADER.FIELDS (…)] returns it, RFC 3501 §6.4.5; CRLF or LF) into fields
 * (a line starting with space or tab continues the previous one, RFC 5322 §2.2.3), caps each at `maxFieldBytes`
 * (its start and its last KB; References keeps its first id and its last ids, the parent being last), and keeps fields in their order until
 * `maxBlockBytes`, the first Message-ID, In-Reply-To, References, From and Date always included. One pass, linear in
 * the length of `raw`. Never throws.
 */
export function boundHeaderBlock(raw: Buffer, options: HeaderBoundOptions = {}): BoundedHeaders {
  const maxField = options.maxFieldBytes ?? MAX_FIELD_BYTES;
  const maxBlock = options.maxBlockBytes ?? MAX_HEADER_BLOCK_BYTES;
  if (raw.length <= maxField && raw.length <= maxBlock) return { bytes: raw, truncated: [] };
  const fields = splitFields(raw);
  const truncated = new Set<string>();
  const seen = new Set<string>();
  let total = 0;
  for (const field of fields) {
    if (field.bytes.length > maxField) {
      field.bytes =
        field.name === 'references' ? capReferences(field.bytes, maxField) : capField(field.bytes, maxField);
      truncated.add(field.name);
    }
    const threading = THREADING.has(field.name) && !seen.has(field.name);
    seen.add(field.name);
    if (threading) field.keep = true;
    else if (total + field.bytes.length <= maxBlock) {
      field.keep = true;
      total += field.bytes.length;
    } else truncated.add(field.name);
  }
  const kept = fields.filter((f) => f.keep).map((f) => f.bytes);
  return { bytes: Buffer.concat([...kept, Buffer.from('\r\n')]), truncated: [...truncated] };
}

function splitFields(raw: Buffer): Field[] {
  const fields: Field[] = [];
  let start = 0;
  let fieldStart = -1;
  const close = (end: number) => {
    if (fieldStart < 0) return;
    const bytes = raw.subarray(fieldStart, end);
    const colon = bytes.indexOf(0x3a);
    const name = (colon > 0 ? bytes.subarray(0, Math.min(colon, 200)) : bytes.subarray(0, 0))
      .toString('latin1')
      .trim()
      .toLowerCase();
    fields.push({ name, bytes, keep: false });
    fieldStart = -1;
  };
  while (start < raw.length) {
    let end = raw.indexOf(0x0a, start);
    end = end < 0 ? raw.length : end + 1;
    const first = raw[start];
    const blank = end - start <= 2 && (first === 0x0a || (first === 0x0d && raw[start + 1] === 0x0a));
    if (blank) {
      close(start);
      break;
    }
    if (first !== 0x20 && first !== 0x09) {
      close(start);
      fieldStart = start;
    } else if (fieldStart < 0) {
      // A continuation with no field before it: garbage, kept as a field of its own (no name).
      fieldStart = start;
    }
    start = end;
  }
  close(Math.min(start, raw.length));
  return fields.map((f) => ({ ...f, bytes: withLineEnd(f.bytes) }));
}

function withLineEnd(bytes: Buffer): Buffer {
  return bytes[bytes.length - 1] === 0x0a ? bytes : Buffer.concat([bytes, Buffer.from('\r\n')]);
}

/**
 * A field cut to about `max` bytes, ending in CRLF: its start and its last KB, joined by a space. The tail matters as
 * much as the head: the address of a From after a huge display name, the id after a huge comment. Cuts fall between
 * UTF-8 characters.
 */
function capField(bytes: Buffer, max: number): Buffer {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  const tailLength = Math.min(1024, Math.floor(max / 4));
  let tailStart = Math.max(0, end - tailLength);
  // Step over UTF-8 continuation bytes (10xxxxxx) so that neither cut splits a character.
  while (tailStart < end && ((bytes[tailStart] ?? 0) & 0xc0) === 0x80) tailStart++;
  let headEnd = Math.max(0, Math.min(tailStart, max - tailLength - 4));
  while (headEnd > 0 && ((bytes[headEnd] ?? 0) & 0xc0) === 0x80) headEnd--;
  while (headEnd > 0 && (bytes[headEnd - 1] === 0x0d || bytes[headEnd - 1] === 0x0a)) headEnd--;
  const head = bytes.subarray(0, headEnd);
  // The head's open quoted string and comments are closed, and the tail starts where the full field is outside any
  // (RFC 5322 §3.2.2, §3.2.4), so that the tail is read as what it is (an address, an id) rather than swallowed by
  // them; one space joins the two pieces.
  const atHeadEnd = lexState(bytes, 0, headEnd, { quoted: false, depth: 0 });
  const atTail = lexState(bytes, headEnd, tailStart, { ...atHeadEnd });
  const closeHead = (atHeadEnd.quoted ? '"' : '') + ')'.repeat(Math.min(atHeadEnd.depth, 1024));
  const tail = bytes.subarray(neutralFrom(bytes, tailStart, end, atTail), end);
  return Buffer.concat([head, Buffer.from(`${closeHead} `), tail, Buffer.from('\r\n')]);
}

interface LexState {
  quoted: boolean;
  depth: number;
}

/** Whether bytes [from, to) leave a quoted string or comments open, starting from `state`. One pass. */
function lexState(bytes: Buffer, from: number, to: number, state: LexState): LexState {
  for (let i = from; i < to; i++) if (step(bytes, i, state)) i++;
  return state;
}

/** Advances `state` over byte `i`; true when the next byte is escaped (a quoted-pair) and must be skipped. */
function step(bytes: Buffer, i: number, state: LexState): boolean {
  const c = bytes[i];
  if (c === 0x5c) return true;
  if (c === 0x22) state.quoted = !state.quoted;
  else if (!state.quoted && c === 0x28) state.depth++;
  else if (!state.quoted && c === 0x29 && state.depth > 0) state.depth--;
  return false;
}

/** The first offset at or after `from` where the field is outside quotes and comments (or `end`). */
function neutralFrom(bytes: Buffer, from: number, end: number, state: LexState): number {
  let i = from;
  while (i < end && (state.quoted || state.depth > 0)) {
    if (step(bytes, i, state)) i++;
    i++;
  }
  return i;
}

/**
 * References cut to `max` bytes by dropping ids from the middle: the first id (the thread's root) and the last ones
 * (the parent and its ancestors, RFC 5322 §3.6.4) are what threading reads.
 */
function capReferences(bytes: Buffer, max: number): Buffer {
  const text = bytes.toString('latin1');
  const ids = text.match(/<[^<>]{1,998}>/g) ?? [];
  if (ids.length === 0) return capField(bytes, max);
  const head = 'References: ';
  const first = ids[0] ?? '';
  let budget = max - head.length - first.length - 4;
  const tail: string[] = [];
  for (let i = ids.length - 1; i > 0; i--) {
    const id = ids[i] ?? '';
    if (id.length + 3 > budget) break;
    tail.push(id);
    budget -= id.length + 3;
  }
  const lines = [first, ...tail.reverse()];
  return Buffer.from(`${head}${lines.join('\r\n ')}\r\n`, 'latin1');
}
