// Reply prefixes of subjects (pure): the localised "Re:" of the mail clients people use, so a
// reply's subject is "Re: " plus the bare subject and never "Re: 回复: …".
import { LOCALES, mergeLocales } from './locales/index.js';
import { alternation } from './regex-text.js';

/**
 * Reply prefixes of every known language (src/mail/locales), compared case-insensitively. Sources: Thunderbird's
 * `mailnews.localizedRe` across its locales, Outlook's localised "RE:", and what Foxmail, Apple Mail and the Asian
 * webmails write. Forward prefixes (Fwd, WG, TR, RV …) are not here on purpose: a forwarded message's subject keeps
 * its "Fwd:" in the reply, as every client does.
 */
export const REPLY_PREFIXES: readonly string[] = mergeLocales(LOCALES).replyPrefixes;

// One prefix at the start: the word (an abbreviation may end in "."), an optional counter
// (Re[2]:, Re(2):, Re^2:), an ASCII or full-width colon (Chinese and Japanese input methods
// type "："), with French spacing ("Re :").
// Longest alternatives first so "antwort" is not read as "antw" + garbage. Whitespace runs are
// bounded so that no crafted subject makes the match slower than linear.
const ONE_PREFIX = new RegExp(
  `^[\\s\\u3000]{0,16}(?:${alternation(REPLY_PREFIXES)})\\.?[ \\t\\u00a0\\u3000]{0,3}(?:\\[\\d{1,6}\\]|\\(\\d{1,6}\\)|\\^\\d{1,6})?[ \\t\\u00a0\\u3000]{0,3}[:：﹕︓]`,
  'iu',
);

/** Most prefixes a subject can carry that are stripped; deeper stacks are someone's real subject. */
const MAX_PREFIXES = 64;

/** The subject without any leading reply prefixes ("RE: AW: 回复: x" → "x"), trimmed. */
export function stripReplyPrefixes(subject: string | null | undefined): string {
  let rest = (subject ?? '').trim();
  for (let i = 0; i < MAX_PREFIXES; i++) {
    const m = ONE_PREFIX.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length).replace(/^[\s\u3000]+/, '');
  }
  return rest.trim();
}

/** "Re: " plus the subject without stacked reply prefixes, in any of REPLY_PREFIXES' languages. */
export function replySubject(subject: string | null | undefined): string {
  const rest = stripReplyPrefixes(subject);
  return rest ? `Re: ${rest}` : 'Re:';
}
