// Header and body-part decoding (src/mail): charsets, encodings, format=flowed, whole messages, message-id lists, dates.
import { describe, expect, it } from 'vitest';
import {
  headerText,
  normalizeMessageId,
  parseDate,
  parseHeaderBlock,
  parseMessageIds,
} from '../../src/mail/headers.js';
import { decodeMessage, MessageDecodeError } from '../../src/mail/message-decode.js';
import { decodeTextPart, resolveCharset } from '../../src/mail/part-decode.js';

describe('headers', () => {
  it('unfolds and decodes RFC 2047 words', () => {
    const h = parseHeaderBlock(
      'Subject: =?ISO-8859-1?Q?Caf=E9?=\r\n =?UTF-8?B?IOKYlQ==?=\r\nReferences: <a@x>\r\n\t<b@x>\r\nX-Empty:\r\n\r\n',
    );
    expect(headerText(h, 'subject')).toBe('Café ☕');
    expect(parseMessageIds(h.references?.join(' '))).toEqual(['<a@x>', '<b@x>']);
    expect(headerText(h, 'x-missing')).toBeNull();
  });

  it('reads message-id lists, including broken ones without brackets', () => {
    expect(parseMessageIds('<a@x> <b@x> <a@x>')).toEqual(['<a@x>', '<b@x>']);
    expect(parseMessageIds('a@x, b@y')).toEqual(['<a@x>', '<b@y>']);
    expect(parseMessageIds('(comment only)')).toEqual([]);
    expect(normalizeMessageId(' <id@host> ')).toBe('<id@host>');
    expect(normalizeMessageId(null)).toBeNull();
  });

  it('parses dates and rejects nonsense', () => {
    expect(parseDate('Tue, 3 Jan 2023 10:12:00 +0100 (CET)')).toBe(Date.UTC(2023, 0, 3, 9, 12));
    expect(parseDate('not a date')).toBeNull();
    expect(parseDate(new Date(5))).toBe(5);
  });
});

describe('text parts', () => {
  it('decodes quoted-printable and base64 with their charsets', () => {
    expect(
      decodeTextPart(Buffer.from('Gr=FC=DFe, caf=E9=\r\n!'), {
        encoding: 'quoted-printable',
        charset: 'iso-8859-1',
      }),
    ).toBe('Grüße, café!');
    expect(
      decodeTextPart(Buffer.from(Buffer.from('Привет', 'utf8').toString('base64')), {
        encoding: 'BASE64',
        charset: 'UTF-8',
      }),
    ).toBe('Привет');
    expect(
      decodeTextPart(Buffer.from([0x93, 0x6e, 0x69, 0x63, 0x65, 0x94]), {
        encoding: '8bit',
        charset: 'windows-1252',
      }),
    ).toBe('“nice”');
  });

  it('falls back to UTF-8 for unknown charsets and tolerates truncated base64', () => {
    expect(decodeTextPart(Buffer.from('plain ✓'), { charset: 'x-no-such-charset' })).toBe('plain ✓');
    const b64 = Buffer.from('hello world, this is long').toString('base64');
    expect(decodeTextPart(Buffer.from(b64.slice(0, 13)), { encoding: 'base64' })).toMatch(/^hello wor/);
  });
});

describe('charset labels are evidence, not the answer', () => {
  const jis = (s: string) => Buffer.from(s, 'latin1');
  it('reads UTF-8 bytes under a lying Big5, GBK, us-ascii, Latin-1 or missing label as UTF-8', () => {
    const zh = Buffer.from('谢谢你的来信！', 'utf8');
    expect(decodeTextPart(zh, { charset: 'Big5' })).toBe('谢谢你的来信！');
    expect(decodeTextPart(zh, { charset: 'gbk' })).toBe('谢谢你的来信！');
    const fr = Buffer.from('Très bien, à demain', 'utf8');
    for (const charset of ['us-ascii', 'iso-8859-1', 'windows-1252', 'iso-8859-15', undefined, 'x-unknown-thing']) {
      expect(decodeTextPart(fr, { charset })).toBe('Très bien, à demain');
    }
  });

  it('keeps a label that fits its bytes', () => {
    expect(decodeTextPart(Buffer.from([0xa7, 0x41, 0xa6, 0x6e]), { charset: 'big5' })).toBe('你好');
    expect(decodeTextPart(Buffer.from([0x82, 0xb1, 0x82, 0xf1]), { charset: 'shift_jis' })).toBe('こん');
    expect(decodeTextPart(Buffer.from('caf\xe9 cr\xe8me', 'latin1'), { charset: 'iso-8859-1' })).toBe('café crème');
    expect(decodeTextPart(Buffer.from('\xcf\xf0\xe8\xe2\xe5\xf2', 'latin1'), { charset: 'windows-1251' })).toBe(
      'Привет',
    );
  });

  it('reads ISO-8859-1 and us-ascii labels as windows-1252 (WHATWG), and Latin bytes under a UTF-8 label too', () => {
    expect(decodeTextPart(Buffer.from('done\x85 It\x92s', 'latin1'), { charset: 'iso-8859-1' })).toBe('done… It’s');
    expect(decodeTextPart(Buffer.from('\x93quoted\x94', 'latin1'), { charset: 'us-ascii' })).toBe('“quoted”');
    expect(decodeTextPart(Buffer.from('Gr\xfc\xdfe', 'latin1'), { charset: 'utf-8' })).toBe('Grüße');
  });

  it('detects ISO 2022 escape sequences whatever the label (Japanese sent without charset=)', () => {
    const body = jis('\x1b$B$3$s$K$A$O\x1b(B');
    expect(decodeTextPart(body, {})).toBe('こんにちは');
    expect(decodeTextPart(body, { charset: 'us-ascii' })).toBe('こんにちは');
    expect(decodeTextPart(body, { charset: 'utf-8' })).toBe('こんにちは');
    expect(decodeTextPart(jis('=1B$B$3$s=1B(B'), { encoding: 'quoted-printable' })).toBe('こん');
    expect(resolveCharset(jis('\x1b$)C\x0e!!\x0f'), 'us-ascii')).toBe('iso-2022-kr');
    expect(resolveCharset(jis('plain \x1b[0m ansi'), 'us-ascii')).toBe('utf-8');
  });

  it('does not treat a UTF-8 sequence cut off by the size cap as Latin-1', () => {
    const cut = Buffer.from('Grüße ✓', 'utf8').subarray(0, -1);
    expect(decodeTextPart(cut, { charset: 'us-ascii' }).startsWith('Grüße')).toBe(true);
  });
});

describe('format=flowed (RFC 3676)', () => {
  it('joins soft breaks; delsp=yes drops the space before each, also after an ISO-2022-JP escape', () => {
    const body = Buffer.from('\x1b$B$3$s\x1b(B \r\n\x1b$B$K$A$O\x1b(B\r\n', 'latin1');
    expect(decodeTextPart(body, { charset: 'iso-2022-jp', format: 'flowed', delsp: 'yes' }).trim()).toBe('こんにちは');
    expect(decodeTextPart(Buffer.from('one two \r\nthree\r\n'), { format: 'flowed' }).trim()).toBe('one two three');
    expect(decodeTextPart(Buffer.from('hyphen-\r\nated \r\nword\r\n'), { format: 'Flowed', delsp: 'yes' }).trim()).toBe(
      'hyphen-\natedword',
    );
  });

  it('keeps quote depth, hard breaks and the "-- " signature delimiter', () => {
    const text = decodeTextPart(Buffer.from('Reply. \r\nMore.\r\n\r\n> quoted \r\n> line\r\n-- \r\nAnn\r\n'), {
      format: 'flowed',
    });
    expect(text.trimEnd().split('\n')).toEqual(['Reply. More.', '', '> quoted line', '-- ', 'Ann']);
  });

  it('leaves fixed text alone', () => {
    expect(decodeTextPart(Buffer.from('one two \r\nthree\r\n'), { format: 'fixed' })).toBe('one two \r\nthree\r\n');
  });
});

describe('decodeMessage: a whole message decoded as sync stores it', () => {
  const eml = (...lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

  it('numbers parts like IMAP, picks text/plain, and the HTML too only for Sent mail', () => {
    const raw = eml(
      'From: Ann <ann@example.org>',
      'Subject: Re: plan',
      'Received: from somewhere',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      'preamble',
      '--outer',
      'Content-Type: multipart/alternative; boundary="outer-alt"',
      '',
      '--outer-alt',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Caf=E9 at ten.',
      '--outer-alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Café at ten.</p>',
      '--outer-alt--',
      '',
      '--outer',
      'Content-Type: application/pdf; name="plan.pdf"',
      'Content-Disposition: attachment; filename="plan.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0=',
      '--outer--',
      'epilogue',
    );
    const inbox = decodeMessage(raw);
    expect(inbox.mimeType).toBe('multipart/mixed');
    expect(inbox.bodyText).toBe('Café at ten.');
    expect(inbox.bodyHtml).toBeNull();
    expect(inbox.attachments).toEqual([
      { part: '2', type: 'application/pdf', filename: 'plan.pdf', size: 8, disposition: 'attachment' },
    ]);
    expect(inbox.problems).toEqual([]);
    const sent = decodeMessage(raw, { sent: true, headerFields: ['From', 'subject'] });
    expect(sent.bodyHtml).toBe('<p>Café at ten.</p>');
    expect(sent.headers).toBe('From: Ann <ann@example.org>\r\nSubject: Re: plan\r\n\r\n');
  });

  it('reads a message without MIME headers as text/plain, ISO-2022-JP escapes included', () => {
    const m = decodeMessage(eml('From: a@example.org', 'Subject: x', '', '\x1b$B$3$s$K$A$O\x1b(B', ''));
    expect(m.mimeType).toBe('text/plain');
    expect(m.bodyText?.trim()).toBe('こんにちは');
  });

  it('applies format=flowed and delsp from the Content-Type', () => {
    const m = decodeMessage(
      eml(
        'From: a@example.org',
        'Content-Type: text/plain; format=flowed; delsp=yes',
        '',
        'Lange zin die  ',
        'doorloopt.',
      ),
    );
    expect(m.bodyText).toBe('Lange zin die doorloopt.');
  });

  it('tolerates a boundary that never closes, an outer boundary ending inner parts, and a bare LF message', () => {
    const unclosed = decodeMessage(
      Buffer.from(
        'From: a@example.org\nContent-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: multipart/alternative; boundary=b2\n\n--b2\n\nfirst\n--b1\nContent-Type: text/plain\n\nsecond\n',
      ),
    );
    // Bare LFs become CRLF, as an IMAP server delivers every message (RFC 3501 §4.3); parts are joined by "\n" as sync does.
    expect(unclosed.bodyText).toBe('first\nsecond\r\n');
    expect(unclosed.problems.length).toBeGreaterThan(0);
    const noBoundary = decodeMessage(
      eml('From: a@example.org', 'Content-Type: multipart/mixed; boundary=zz', '', 'text'),
    );
    expect(noBoundary.bodyText).toBeNull();
    expect(noBoundary.problems).toEqual(['the message: boundary "zz" never appears']);
  });

  it('prefers the innermost of two boundaries that share a prefix', () => {
    const m = decodeMessage(
      eml(
        'From: a@example.org',
        'Content-Type: multipart/mixed; boundary="abc"',
        '',
        '--abc',
        'Content-Type: multipart/alternative; boundary="abcd"',
        '',
        '--abcd',
        'Content-Type: text/plain',
        '',
        'inner',
        '--abcd--',
        '--abc--',
      ),
    );
    expect(m.bodyText).toBe('inner');
  });

  it('cuts a part at maxPartBytes and says so', () => {
    const m = decodeMessage(eml('From: a@example.org', '', 'x'.repeat(5000)), { maxPartBytes: 1000 });
    expect(m.bodyText).toHaveLength(1000);
    expect(m.textTruncated).toBe(true);
  });

  it('refuses what is no message, with a code', () => {
    const code = (raw: Buffer) => {
      try {
        decodeMessage(raw);
        return null;
      } catch (err) {
        return err instanceof MessageDecodeError ? err.code : 'other';
      }
    };
    expect(code(Buffer.alloc(0))).toBe('EMPTY');
    expect(code(Buffer.from('\n\n  \n'))).toBe('EMPTY');
    expect(code(Buffer.from('just some words\nand more\n'))).toBe('NOT_A_MESSAGE');
    expect(code(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0x3a, 0]))).toBe('NOT_A_MESSAGE');
    expect(code(Buffer.from('From sender@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\n\nhi'))).toBeNull();
  });
});
