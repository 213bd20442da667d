// Reads a BODYSTRUCTURE (RFC 3501 §7.4.2) to decide which parts to fetch: the text the author
// wrote (text/plain, text/html) is fetched, everything else is only recorded. The planning lives
// in src/mail/part-plan.ts, shared with decodeMessage (a message read from a file), so that both
// paths choose and decode the same parts; imapflow's MessageStructureObject fits its StructureNode.
import type { MessageStructureObject } from 'imapflow';

export { type PartPlan, partsToFetch, planParts, type TextPartRef } from '../mail/part-plan.js';

/**
 * The charset the message's text declares: the `charset` parameter of its first text/plain part,
 * else of its first other text/* part, or null. Raw 8-bit header bytes are usually written in the
 * same charset by the same client, so it is the best guess for header bytes that are not UTF-8.
 */
export function declaredCharset(root: MessageStructureObject | undefined): string | null {
  let plain: string | null = null;
  let other: string | null = null;
  const visit = (node: MessageStructureObject, depth: number): void => {
    if (plain !== null || depth > 32) return;
    const type = (node.type ?? '').toLowerCase();
    if (type.startsWith('multipart/')) {
      for (const child of node.childNodes ?? []) visit(child, depth + 1);
      return;
    }
    const charset = node.parameters?.charset?.trim();
    if (!charset || !type.startsWith('text/')) return;
    if (type === 'text/plain') plain = charset;
    else other ??= charset;
  };
  if (root) visit(root, 0);
  return plain ?? other;
}
