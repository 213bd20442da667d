// The MIME structure of a whole raw message (pure), in the shape an IMAP server's BODYSTRUCTURE has, with each
// leaf's body bytes located, so a message read from a file is planned and decoded exactly as sync does it.
//
// Hand-written rather than taken from mailparser/mailsplit: those stream decoded content and do not expose IMAP part
// numbers or a part's still-encoded body octets (what `BODY[1.2]` returns, RFC 3501 §6.4.5), which is what the sync
// path decodes. Boundary matching follows Dovecot: a line starting with "--" + boundary, innermost boundary first, an
// outer boundary also ending every part nested inside it (RFC 2046 §5.1.1).
import libmime from 'libmime';

/** One node of a message's structure: the subset of imapflow's MessageStructureObject that planning reads. */
export interface StructureNode {
  /** IMAP part number ("1", "1.2"); absent on the root of a multipart message, like imapflow. */
  part?: string | undefined;
  /** Lower-case MIME type, "text/plain" when the part has no Content-Type (RFC 2045 §5.2). */
  type: string;
  /** Content-Type parameters, lower-case names (charset, format, delsp, boundary, name …). */
  parameters?: Record<string, string> | undefined;
  /** Content-Transfer-Encoding, lower case; "7bit" when absent (RFC 2045 §6.1). */
  encoding?: string | undefined;
  /** Body size in octets, still transfer-encoded. */
  size?: number | undefined;
  disposition?: string | undefined;
  dispositionParameters?: Record<string, string> | undefined;
  childNodes?: StructureNode[] | undefined;
}

/** A StructureNode with where its body lies in the raw message. */
export interface MimeNode extends StructureNode {
  childNodes?: MimeNode[] | undefined;
  /** Byte offsets of the body (after the part's header and blank line) in the raw message; end exclusive. */
  bodyStart: number;
  bodyEnd: number;
}

export interface MimeTree {
  /** The message's own header block, as raw bytes read as latin1 (one char per byte), without the blank line. */
  header: string;
  root: MimeNode;
  /** Structural faults found and tolerated (a boundary that never appears, a multipart not closed …), for reports. */
  problems: string[];
  /** Why the structure was not read to the end (more than MAX_NODES parts, nesting deeper than MAX_DEPTH), or null. */
  cutOff: string | null;
}

/** Deeper nesting than this is hostile; deeper parts are kept as opaque leaves (planParts uses the same cut-off). */
const MAX_DEPTH = 32;
/** More parts than this is hostile; the rest of the message is not split further. */
const MAX_NODES = 2000;
/** Longest Content-Type / Content-Disposition value read, in characters (RFC 2231 filenames included). */
const MAX_FIELD_VALUE = 4096;

interface Delimiter {
  /** offset of the line's first "-" */
  lineStart: number;
  /** offset just after the line's LF (or the end) */
  lineEnd: number;
  /** index into the boundary stack of the boundary it matched */
  level: number;
  close: boolean;
}

interface Ctx {
  src: string;
  end: number;
  nodes: number;
  problems: string[];
  cutOff: string | null;
}

/**
 * Splits a raw RFC 5322 message into its MIME tree (RFC 2045, RFC 2046). Never throws on malformed structure: a
 * missing boundary, a missing header/body separator or runaway nesting are tolerated the way an IMAP server tolerates
 * them, and listed in `problems`.
 */
export function parseMimeTree(raw: Buffer): MimeTree {
  const ctx: Ctx = { src: raw.toString('latin1'), end: raw.length, nodes: 0, problems: [], cutOff: null };
  const { header, root } = parseEntity(ctx, 0, [], undefined, 'text/plain', 0);
  return { header, root: root.node, problems: ctx.problems, cutOff: ctx.cutOff };
}

/** Parses one entity (header + body) starting at `start`; returns it and the delimiter that ended it, if any. */
function parseEntity(
  ctx: Ctx,
  start: number,
  stack: string[],
  part: string | undefined,
  defaultType: string,
  depth: number,
): { header: string; root: { node: MimeNode; stop: Delimiter | null } } {
  ctx.nodes++;
  const { src } = ctx;
  const firstDelimiter = stack.length > 0 ? nextDelimiter(ctx, start, stack) : null;
  const limit = firstDelimiter ? firstDelimiter.lineStart : ctx.end;
  const blank = headerEnd(src, start, limit);
  const header = src.slice(start, blank ? blank.headerEnd : limit);
  const bodyStart = blank ? blank.bodyStart : limit;
  const fields = readFields(header);

  const contentType = parseValue(fields.get('content-type'));
  const type = contentType?.value.toLowerCase().match(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/)
    ? contentType.value.toLowerCase()
    : defaultType;
  const parameters = contentType?.params ?? {};
  const disposition = parseValue(fields.get('content-disposition'));
  const node: MimeNode = {
    ...(part !== undefined ? { part } : {}),
    type,
    parameters,
    encoding: (fields.get('content-transfer-encoding') ?? '7bit').trim().toLowerCase() || '7bit',
    ...(disposition?.value ? { disposition: disposition.value.toLowerCase() } : {}),
    ...(disposition && Object.keys(disposition.params).length > 0 ? { dispositionParameters: disposition.params } : {}),
    bodyStart,
    bodyEnd: bodyStart,
    size: 0,
  };

  const boundary = parameters.boundary;
  if (type.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    const stop = parseMultipart(ctx, node, boundary, stack, depth);
    return { header, root: { node, stop } };
  }
  if (type.startsWith('multipart/') && !boundary)
    ctx.problems.push(`${part ?? 'the message'}: multipart without a boundary`);
  if (type.startsWith('multipart/') && boundary && depth >= MAX_DEPTH) {
    ctx.cutOff ??= `MIME parts nested deeper than ${MAX_DEPTH} levels`;
  }
  const stop = firstDelimiter && firstDelimiter.lineStart >= bodyStart ? firstDelimiter : null;
  node.bodyEnd = stop ? Math.max(bodyStart, beforeNewline(src, stop.lineStart)) : ctx.end;
  node.size = node.bodyEnd - node.bodyStart;
  return { header, root: { node, stop } };
}

/** Fills `node.childNodes`; returns the outer delimiter that ended this multipart, or null at the end of input. */
function parseMultipart(ctx: Ctx, node: MimeNode, boundary: string, stack: string[], depth: number): Delimiter | null {
  const inner = [...stack, boundary];
  const own = inner.length - 1;
  const children: MimeNode[] = [];
  let d = nextDelimiter(ctx, node.bodyStart, inner);
  const childType = node.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain'; // RFC 2046 §5.1.5
  while (d && d.level === own && !d.close) {
    if (ctx.nodes >= MAX_NODES) {
      ctx.cutOff ??= `more than ${MAX_NODES} MIME parts`;
      break;
    }
    const number = node.part === undefined ? `${children.length + 1}` : `${node.part}.${children.length + 1}`;
    const child = parseEntity(ctx, d.lineEnd, inner, number, childType, depth + 1).root;
    children.push(child.node);
    d = child.stop;
  }
  if (children.length === 0) ctx.problems.push(`${node.part ?? 'the message'}: boundary "${boundary}" never appears`);
  else if (!d || d.level !== own || !d.close) ctx.problems.push(`${node.part ?? 'the message'}: multipart not closed`);
  node.childNodes = children;
  // The epilogue after the closing delimiter runs to the next outer delimiter.
  const stop = d && d.level === own ? (stack.length > 0 ? nextDelimiter(ctx, d.lineEnd, stack) : null) : d;
  node.bodyEnd = stop ? Math.max(node.bodyStart, beforeNewline(ctx.src, stop.lineStart)) : ctx.end;
  node.size = node.bodyEnd - node.bodyStart;
  return stop;
}

/** The next line at or after `from` (a line start) that is a delimiter of a boundary in `stack`, innermost first. */
function nextDelimiter(ctx: Ctx, from: number, stack: string[]): Delimiter | null {
  const { src, end } = ctx;
  let pos = from;
  while (pos < end) {
    if (src.startsWith('--', pos)) {
      for (let level = stack.length - 1; level >= 0; level--) {
        const b = stack[level] as string;
        if (!src.startsWith(b, pos + 2)) continue;
        const nl = src.indexOf('\n', pos);
        return {
          lineStart: pos,
          lineEnd: nl < 0 || nl >= end ? end : nl + 1,
          level,
          close: src.startsWith('--', pos + 2 + b.length),
        };
      }
    }
    const next = src.indexOf('\n--', pos);
    if (next < 0 || next + 1 >= end) return null;
    pos = next + 1;
  }
  return null;
}

/** The blank line ending a header block that starts at `start`: where the header ends and the body begins. */
function headerEnd(src: string, start: number, limit: number): { headerEnd: number; bodyStart: number } | null {
  // Line by line up to `limit` (never a search to the end of the message: that would be quadratic over many parts).
  for (let pos = start; pos < limit; ) {
    const nl = src.indexOf('\n', pos);
    if (nl < 0 || nl >= limit) return null;
    if (nl === pos || (nl === pos + 1 && src[pos] === '\r')) return { headerEnd: pos, bodyStart: nl + 1 };
    pos = nl + 1;
  }
  return null;
}

/** The offset of the line break that precedes `lineStart` (it belongs to the delimiter, RFC 2046 §5.1.1). */
function beforeNewline(src: string, lineStart: number): number {
  if (src[lineStart - 1] !== '\n') return lineStart;
  return src[lineStart - 2] === '\r' ? lineStart - 2 : lineStart - 1;
}

/** Unfolded header fields (RFC 5322 §2.2.3), lower-case names; the first occurrence of a name wins. */
function readFields(header: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of header.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

function parseValue(value: string | undefined): { value: string; params: Record<string, string> } | null {
  if (value === undefined) return null;
  // Header bytes were read as latin1; parameters are ASCII by RFC 2045, RFC 2231 values are decoded by libmime.
  // libmime's parser is superlinear on long values (a 128 KB one took 40 ms, 4× that 30× as long); a Content-Type or
  // Content-Disposition of more than a few hundred characters is hostile, so only its start is read.
  const parsed = libmime.parseHeaderValue(value.length > MAX_FIELD_VALUE ? value.slice(0, MAX_FIELD_VALUE) : value);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.params ?? {})) if (typeof v === 'string') params[k.toLowerCase()] = v;
  return { value: (parsed.value ?? '').trim(), params };
}
