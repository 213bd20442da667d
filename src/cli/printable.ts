// Text from mail, servers and files, made safe to print on a terminal: control characters written
// as \xHH. Subjects, bodies, names, Message-IDs and folder names are chosen by whoever sent the mail
// or runs the server; an escape sequence among them must be shown, not acted on (it can retitle,
// recolour or rewrite the screen). Used by every human-readable output that carries such text
// (`log`, `dataset show`, `mail reply-text`, `draft`); `--json` output is JSON-escaped already.

/** C0 controls but tab and newline, DEL and C1 controls: what a terminal acts on instead of showing. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is its purpose
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` with each control character (see CONTROL) written as `\xHH`; idempotent. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
