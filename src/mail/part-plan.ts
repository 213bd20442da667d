// Which parts of a message structure (RFC 3501 §7.4.2 BODYSTRUCTURE, or mime-tree.ts for a file) hold the text the
// author wrote, which of them are fetched, and how their bytes become the stored text/plain and text/html bodies.
// Shared by sync (src/imap/sync-mailbox.ts) and decodeMessage (message-decode.ts), so both store the same text.
import type { StructureNode } from './mime-tree.js';
import { decodeTextPart } from './part-decode.js';

export interface TextPartRef {
  part: string;
  encoding?: string | undefined;
  charset?: string | undefined;
  /** Content-Type `format` and `delsp` parameters (RFC 3676). */
  format?: string | undefined;
  delsp?: string | undefined;
  size: number;
}

/** A part that is recorded but not downloaded (same shape as the store's AttachmentInfo). */
export interface PartInfo {
  part: string;
  type: string;
  filename?: string;
  size?: number;
  disposition?: string;
}

export interface PartPlan {
  mimeType: string;
  plain: TextPartRef[];
  html: TextPartRef[];
  attachments: PartInfo[];
}

/** More inline text parts than this is not a letter; the rest are recorded as attachments. */
const MAX_TEXT_PARTS = 8;

/**
 * Sorts the leaves of a message structure into inline text/plain, inline text/html and everything else. A message
 * whose only text parts are inline parts with a filename has the first of them (plain, html) as its body.
 */
export function planParts(root: StructureNode | undefined): PartPlan {
  const plan: PartPlan = {
    mimeType: (root?.type ?? 'text/plain').toLowerCase(),
    plain: [],
    html: [],
    attachments: [],
  };
  // Inline text parts that carry a filename: attachments while a real body exists, the body when there is none
  // (Outlook and TNEF converters name their body parts, e.g. message.txt, body.html).
  const named: { plain?: TextPartRef; html?: TextPartRef } = {};
  if (!root) {
    // No structure at all: treat the message as a single text/plain body (RFC 2045 §5.2 default).
    plan.plain.push({ part: '1', size: 0 });
    return plan;
  }
  const visit = (node: StructureNode, depth: number): void => {
    const type = (node.type || 'application/octet-stream').toLowerCase();
    // A single-part message has no part number; its body is part "1" (RFC 3501 §6.4.5).
    const part = node.part ?? '1';
    if (type.startsWith('multipart/') && node.childNodes?.length && depth < 32) {
      for (const child of node.childNodes) visit(child, depth + 1);
      return;
    }
    const disposition = node.disposition?.toLowerCase();
    const filename = node.dispositionParameters?.filename ?? node.parameters?.name;
    const inline = disposition !== 'attachment' && !(disposition === 'inline' && filename);
    const ref: TextPartRef = {
      part,
      encoding: node.encoding,
      charset: node.parameters?.charset,
      format: node.parameters?.format,
      delsp: node.parameters?.delsp,
      size: node.size ?? 0,
    };
    if (inline && type === 'text/plain' && plan.plain.length < MAX_TEXT_PARTS) plan.plain.push(ref);
    else if (inline && type === 'text/html' && plan.html.length < MAX_TEXT_PARTS) plan.html.push(ref);
    else {
      if (disposition === 'inline' && filename) {
        if (type === 'text/plain') named.plain ??= ref;
        if (type === 'text/html') named.html ??= ref;
      }
      plan.attachments.push({
        part,
        type,
        ...(filename ? { filename } : {}),
        ...(node.size !== undefined ? { size: node.size } : {}),
        ...(disposition ? { disposition } : {}),
      });
    }
  };
  visit(root, 0);
  if (plan.plain.length === 0 && plan.html.length === 0 && (named.plain || named.html)) {
    const body = new Set([named.plain?.part, named.html?.part]);
    plan.attachments = plan.attachments.filter((a) => !body.has(a.part));
    if (named.plain) plan.plain.push(named.plain);
    if (named.html) plan.html.push(named.html);
  }
  return plan;
}

/**
 * The parts worth downloading. The author's text is the text/plain part when there is one (the rule the dataset
 * applies), so HTML is fetched only when it is the sole body, or for the user's own Sent mail (`sent`), where HTML
 * quote containers (gmail_quote, blockquote type=cite) help to cut the quoted original out of a reply exactly.
 */
export function partsToFetch(plan: PartPlan, sent: boolean): TextPartRef[] {
  return plan.plain.length === 0 || sent ? [...plan.plain, ...plan.html] : plan.plain;
}

/** The stored bodies of one message. */
export interface DecodedBodies {
  /** Decoded text/plain parts joined by "\n", or null when none was fetched. */
  text: string | null;
  /** Decoded text/html parts joined by "\n", or null. */
  html: string | null;
  /** True when a part was cut at `maxPartBytes`. */
  truncated: boolean;
}

/**
 * Decodes the fetched text parts of one message. `bytesOf(part)` returns a part's body as fetched (BODY[part],
 * still transfer-encoded, at most `maxPartBytes` long) or undefined when the server sent none.
 */
export function decodeBodies(
  plan: PartPlan,
  sent: boolean,
  bytesOf: (part: string) => Buffer | undefined,
  maxPartBytes: number,
): DecodedBodies {
  const fetched = new Set(partsToFetch(plan, sent).map((r) => r.part));
  const one = (refs: TextPartRef[]): { text: string | null; truncated: boolean } => {
    const texts: string[] = [];
    let truncated = false;
    for (const ref of refs) {
      if (!fetched.has(ref.part)) continue;
      if (ref.size > maxPartBytes) truncated = true;
      const raw = bytesOf(ref.part);
      if (!raw) continue;
      if (raw.length >= maxPartBytes) truncated = true;
      texts.push(decodeTextPart(raw, ref));
    }
    return { text: texts.length ? texts.join('\n') : null, truncated };
  };
  const plain = one(plan.plain);
  const html = one(plan.html);
  return { text: plain.text, html: html.text, truncated: plain.truncated || html.truncated };
}
