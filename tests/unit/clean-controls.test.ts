// Control characters in mail bodies never reach the cleaned text (training and drafting): made-up messages go
// through the real decode path (decodeMessage, as sync stores them) and cleanContent.
import { describe, expect, it } from 'vitest';
import { CLEANING_RULES, cleanContent } from '../../src/dataset/clean.js';
import { decodeMessage } from '../../src/mail/message-decode.js';
import { replyParts } from '../../src/mail/reply-text.js';
import { dropControls } from '../../src/mail/text-controls.js';
import { renderConversation } from '../../src/model/prompt.js';

/** A one-part message with `body` (a JS string) in `charset` and `cte`, as raw bytes. */
function message(body: string, opts: { charset?: string; cte?: string; html?: boolean } = {}): Buffer {
  const cte = opts.cte ?? '8bit';
  const bytes = Buffer.from(body, 'utf8');
  const encoded = cte === 'base64' ? bytes.toString('base64').replace(/.{76}/g, '$&\r\n') : bytes.toString('latin1');
  const head = [
    'From: Stranger <s@example.org>',
    'To: me@example.org',
    'Subject: hello',
    'Message-ID: <controls@example.org>',
    'MIME-Version: 1.0',
    `Content-Type: ${opts.html ? 'text/html' : 'text/plain'}; charset=${opts.charset ?? 'utf-8'}`,
    `Content-Transfer-Encoding: ${cte}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(encoded, 'latin1')]);
}

function cleaned(raw: Buffer): string {
  const m = decodeMessage(raw);
  const c = cleanContent({
    headers: m.headers,
    mime_type: m.mimeType,
    body_text: m.bodyText,
    body_html: m.bodyHtml,
    attachments: JSON.stringify(m.attachments),
  });
  expect(c.error).toBeNull();
  return c.ownText ?? '';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for them
const ANY_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('cleaned text has no control characters', () => {
  it('drops an ANSI colour sequence as a whole, keeping the words', () => {
    const text = cleaned(message('Hello \x1b[1;31mred\x1b[0m world\r\n\r\nBest,\r\nAnn\r\n'));
    expect(text).toBe('Hello red world\n\nBest,\nAnn');
  });

  it('drops an OSC title sequence, bells, backspaces, form feeds, DEL and C1 controls; keeps tab and newline', () => {
    const text = cleaned(
      message(
        '\x1b]0;pwned\x07Dear Bob,\r\n\tindented\x08\x08 line\x0c\x0b\x7f\r\nnext\u0085 \u009b2Jline\u0090x\u009c\r\n',
        { cte: 'base64' },
      ),
    );
    expect(text).not.toMatch(ANY_CONTROL);
    expect(text).toBe('Dear Bob,\n\tindented line\nnext line');
  });

  it('drops a lone ESC but keeps the letter after it', () => {
    expect(cleaned(message('a\x1bbc done\r\n'))).toBe('abc done');
  });

  it('drops bidi overrides and isolates, keeps RLM/LRM, ZWJ/ZWNJ and every script', () => {
    const body =
      'Invoice \u202egnp.exe\u202c and \u2067שלום\u2069\r\n' +
      'مرحبا\u200f بالعالم, Привет, 你好, こんにちは, नमस्ते, 👩\u200d💻, می\u200cخواهم, Ünïcödé\r\n';
    const text = cleaned(message(body));
    expect(text).toBe(
      'Invoice gnp.exe and שלום\nمرحبا\u200f بالعالم, Привет, 你好, こんにちは, नमस्ते, 👩\u200d💻, می\u200cخواهم, Ünïcödé',
    );
  });

  it('a lone CR is a line break, as before (not dropped, not kept)', () => {
    expect(cleaned(message('one\rtwo\r\n'))).toBe('one\ntwo');
  });

  it('cleans HTML-only bodies too (numeric character references to controls included)', () => {
    const text = cleaned(message('<p>Hi &#27;[31mthere&#x1b;[0m\x1b[2J you&#127;</p>', { html: true }));
    expect(text).not.toMatch(ANY_CONTROL);
    expect(text).toBe('Hi there you');
  });

  it('the quoted original and parts read for pairing are cleaned the same way', () => {
    const parts = replyParts({ text: 'Yes\x07!\n\nOn Mon, Ann wrote:\n> are you \x1b[5mcoming\x1b[0m?\n' });
    expect(parts.text).toBe('Yes!');
    expect(parts.quote).toBe('are you coming?');
  });

  it('bumped the cleaning rules, so stores clean their cached texts again', () => {
    expect(CLEANING_RULES).not.toBe('clean-4');
  });
});

describe('dropControls', () => {
  it('is idempotent and returns clean text unchanged', () => {
    const clean = 'plain text\twith tab\nand “quotes” — ok';
    expect(dropControls(clean)).toBe(clean);
    const once = dropControls('x\x1b[31my\x00z\u202e');
    expect(once).toBe('xyz');
    expect(dropControls(once)).toBe(once);
  });
});

describe('the rendered conversation (training examples and draft prompts)', () => {
  it('carries no control character from a subject, a name or a body', () => {
    const messages = renderConversation(
      {
        user: { name: 'Me', addresses: ['me@example.org'] },
        now: Date.UTC(2026, 0, 5),
        incoming: {
          from: [{ name: 'Eve\x1b]0;x\x07 \u202eliam', address: 'eve@example.org' }],
          to: [{ address: 'me@example.org' }],
          cc: [],
          date: Date.UTC(2026, 0, 4),
          subject: 'Urgent\x1b[2J\x1b[H invoice\x7f',
          body: 'Pay \x1b[8mnow\x1b[0m',
        },
        context: [],
      },
      'Sure\x07',
    );
    for (const m of messages) expect(m.content).not.toMatch(ANY_CONTROL);
    const user = messages[1]?.content ?? '';
    expect(user).toContain('Subject: Urgent invoice');
    expect(user).toContain('From: Eve liam <eve@example.org>');
    expect(user).toContain('Pay now');
    expect(messages[2]?.content).toBe('Sure');
  });
});
