// Control characters removed from mail text before it is stored for training and drafting. Mail is
// written by strangers: an escape sequence, a backspace or a bidi override in a body is not something
// its author meant as words, and a model that learns it will write it into drafts (where it can
// recolour a terminal or hide text on a screen). Hand-written: no library in package.json strips
// controls, and the rule is three character classes (cli/printable.ts shows them instead, for output).

/**
 * ANSI/ECMA-48 escape sequences as a whole (so "ESC[31m" leaves nothing behind, not "[31m"): CSI
 * (ESC [ or C1 CSI, parameters, one final byte), OSC/DCS/PM/APC/SOS strings up to BEL or ST. A
 * lone ESC or an unterminated string is left to CONTROL, which drops the ESC and keeps the letters after
 * it ("ESCc" may be a reset, or a stray byte before a word: the word is kept).
 */
const ESCAPE_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is its purpose
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]|(?:\u001b[\]PX^_]|[\u009d\u0090\u0098\u009e\u009f])[^\u0007\u001b\u009c]{0,4096}(?:\u0007|\u001b\\|\u009c)/g;

/**
 * C0 controls but tab and newline (carriage return included: callers turn CRLF and lone CR into LF
 * first), DEL, C1 controls, and the explicit bidi embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069; Unicode TR9 §2.1–2.3). The implicit marks LRM, RLM and ALM (U+200E, U+200F, U+061C),
 * ZWJ/ZWNJ and every printable character of every script are kept: people type those.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is its purpose
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` without escape sequences and control characters (see CONTROL); `\n` and `\t` kept. Pure and
 * idempotent; a string with none is returned as it is.
 */
export function dropControls(text: string): string {
  // Fast path: most mail has none of these, and this runs on every line of every message.
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  CONTROL.lastIndex = 0;
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}
