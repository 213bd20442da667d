// Threads: which messages belong together, so that a thread never straddles the train/eval split.
import { stripReplyPrefixes } from '../mail/subject.js';

/**
 * Longest subject compared, in characters: a real subject fits on a line (RFC 5322 §2.1.1 caps lines at 998), and
 * reading a hostile megabyte of `Re` and spaces costs time for nothing. Longer subjects are compared by their start.
 */
export const MAX_SUBJECT_CHARS = 1000;

/**
 * Subject without reply/forward prefixes in the common languages (Re, Fwd, AW, WG, Antw, SV, TR, RV …), list tags,
 * and the forward marks of older mailers ("[Fwd: subject]", "subject (fwd)"); lower-cased, whitespace collapsed; at
 * most MAX_SUBJECT_CHARS of it are read.
 */
export function baseSubject(subject: string | null | undefined): string {
  let s = (subject ?? '').slice(0, MAX_SUBJECT_CHARS).trim();
  // Repeatedly: "Re: AW: Fwd: [list] subject" → "subject".
  for (let i = 0; i < 10; i++) {
    // Reply prefixes of every language src/mail/subject.ts knows (SV, 回复, Odp., …), then forward prefixes.
    const next = stripReplyPrefixes(s)
      .replace(
        // One whitespace run on each side of the counter, never two adjacent runs (which backtrack quadratically).
        /^(re|r|aw|antw|antwort|sv|vs|ynt|odp|rif|réf|ref|fw|fwd|wg|tr|rv|enc|doorst|fs|vb|i)\s*(?:(?:\[\d+\]|\(\d+\))\s*)?:\s*/i,
        '',
      )
      // Netscape and old Thunderbird forward as "[Fwd: subject]"; Pine and other Unix mailers append "(fwd)".
      .replace(/^\[fwd?\s*:\s*(.*)\]$/i, '$1')
      .replace(/[([]fwd?[)\]]$/i, '')
      // A list tag ("[dev] subject"); a bracket that is the whole subject is the subject itself.
      .replace(/^\[[^\]]{1,60}\]\s*(?=\S)/, '')
      .trim();
    if (next === s) break;
    s = next;
  }
  return s.toLowerCase().replace(/\s+/g, ' ');
}

/** Union-find over message keys: linked messages end up with the same thread key. */
export class Threads {
  private readonly parent = new Map<string, string>();

  private find(key: string): string {
    let root = key;
    for (let next = this.parent.get(root); next !== undefined && next !== root; next = this.parent.get(root))
      root = next;
    // Path compression keeps later lookups flat.
    let node = key;
    while (node !== root) {
      const next = this.parent.get(node) ?? root;
      this.parent.set(node, root);
      node = next;
    }
    if (!this.parent.has(root)) this.parent.set(root, root);
    return root;
  }

  link(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller key wins, so the result does not depend on the order of links.
    if (ra !== rb) {
      if (ra < rb) this.parent.set(rb, ra);
      else this.parent.set(ra, rb);
    }
  }

  key(a: string): string {
    return this.find(a);
  }
}
