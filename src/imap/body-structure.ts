// Reads a BODYSTRUCTURE (RFC 3501 §7.4.2) to decide which parts to fetch: the text the author
// wrote (text/plain, text/html) is fetched, everything else is only recorded.
import type { MessageStructureObject } from 'imapflow';
import type { AttachmentInfo } from '../store/messages.js';

export interface TextPartRef {
  part: string;
  encoding?: string | undefined;
  charset?: string | undefined;
  size: number;
}

export interface PartPlan {
  mimeType: string;
  plain: TextPartRef[];
  html: TextPartRef[];
  attachments: AttachmentInfo[];
}

/** More inline text parts than this is not a letter; the rest are recorded as attachments. */
const MAX_TEXT_PARTS = 8;

export function planParts(root: MessageStructureObject | undefined): PartPlan {
  const plan: PartPlan = {
    mimeType: (root?.type ?? 'text/plain').toLowerCase(),
    plain: [],
    html: [],
    attachments: [],
  };
  if (!root) {
    // No structure at all: treat the message as a single text/plain body (RFC 2045 §5.2 default).
    plan.plain.push({ part: '1', size: 0 });
    return plan;
  }
  const visit = (node: MessageStructureObject, depth: number): void => {
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
    const ref = {
      part,
      encoding: node.encoding,
      charset: node.parameters?.charset,
      size: node.size ?? 0,
    };
    if (inline && type === 'text/plain' && plan.plain.length < MAX_TEXT_PARTS) plan.plain.push(ref);
    else if (inline && type === 'text/html' && plan.html.length < MAX_TEXT_PARTS) plan.html.push(ref);
    else {
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
  return plan;
}
