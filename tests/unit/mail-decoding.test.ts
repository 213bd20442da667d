// Header and body-part decoding (src/mail): charsets, encodings, message-id lists, dates.
import { describe, expect, it } from 'vitest';
import {
  headerText,
  normalizeMessageId,
  parseDate,
  parseHeaderBlock,
  parseMessageIds,
} from '../../src/mail/headers.js';
import { decodeTextPart } from '../../src/mail/part-decode.js';

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
