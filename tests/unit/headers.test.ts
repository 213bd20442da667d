// Header handling as real servers deliver it: lenient Message-ID lists (RFC 5322 §3.6.4 and the
// obsolete forms), raw 8-bit header bytes in other charsets, localised reply prefixes.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  decodeHeaderBytes,
  headerText,
  normalizeMessageId,
  parseAddresses,
  parseHeaderBlock,
  parseMessageIds,
} from '../../src/mail/headers.js';
import { decodeMessage } from '../../src/mail/message-decode.js';
import { REPLY_PREFIXES, replySubject, stripReplyPrefixes } from '../../src/mail/subject.js';

const FIELD = resolve(import.meta.dirname, '../../../shared/corpora/field/imap');
const headerBlock = (file: string) => {
  const raw = readFileSync(file);
  const crlf = raw.indexOf('\r\n\r\n');
  return crlf >= 0 ? raw.subarray(0, crlf + 4) : raw.subarray(0, raw.indexOf('\n\n') + 2);
};

describe('Message-ID lists', () => {
  it('reads the message-id-quirks reproducer: bare, folded, uuid without "@", folded mid-id, glued, garbage', () => {
    const ids = [1, 2, 3, 4, 5, 6, 7].map((n) => {
      const h = parseHeaderBlock(headerBlock(`${FIELD}/message-id-quirks/in-${n}.eml`).toString('utf8'));
      return {
        id: normalizeMessageId(headerText(h, 'message-id')),
        refs: parseMessageIds(h.references?.join(' ')),
      };
    });
    console.log('message-id-quirks ids:', JSON.stringify(ids.map((i) => i.id)));
    expect(ids.map((i) => i.id)).toEqual([
      '<mq-1@partner.example>',
      '<mq-2-folded-onto-the-next-line@partner.example>',
      '<3a53c9f21a8e41f0bb9558c8029e16f0>',
      '<NMID-105-12327863-31469233@communication.acadomia.fr>',
      '<mq-5@partner.example>',
      '<mq-6@partner.example>',
      '<mq-7@partner.example>',
    ]);
    expect(ids[4]?.refs).toEqual(['<root-5@partner.example>', '<mid-5@partner.example>']);
    expect(ids[5]?.refs).toEqual([
      '<story.djmzw1.1701689086@lobste.example>',
      '<comment.8s1n8s.1701692638@lobste.example>',
    ]);
    // Outlook folded an id twice in its middle: the pieces are joined into the one id.
    expect(ids[6]?.refs).toEqual([
      '<CAOU6bwKrkZbpUxbnz88@mail.gmail.example>',
      '<CYXPR08MB901734D5BD04714BD6A04551F9602@CYXPR08MB9017.namprd08.prod.outlook.example>',
      '<PA4PR07MB710195E4@PA4PR07MB7101.eurprd07.prod.outlook.example>',
    ]);
  });

  it('other shapes: comments, quoted phrases, unclosed brackets, CFWS around ids, commas', () => {
    expect(parseMessageIds('<a@x> (the first) <b@x>')).toEqual(['<a@x>', '<b@x>']);
    expect(parseMessageIds('(comment <no@x>) <yes@x>')).toEqual(['<yes@x>']);
    // The obsolete In-Reply-To phrase form: only the bracketed id counts, not the sender's address.
    expect(parseMessageIds('Your message of "Mon, 3 Jan 2022" <id@x>')).toEqual(['<id@x>']);
    expect(parseMessageIds("john@example.com's message of 3 Jan <id@y>")).toEqual(['<id@y>']);
    expect(parseMessageIds('<broken <ok@x>')).toEqual(['<ok@x>']);
    expect(parseMessageIds('<a@x>,<b@x>;<c@x>')).toEqual(['<a@x>', '<b@x>', '<c@x>']);
    expect(parseMessageIds('<\r\n a@x\r\n >')).toEqual(['<a@x>']);
    expect(parseMessageIds('<>')).toEqual([]);
    expect(parseMessageIds('550e8400-e29b-41d4-a716-446655440000 <b@x>')).toEqual([
      '<550e8400-e29b-41d4-a716-446655440000>',
      '<b@x>',
    ]);
    // A lone token is the Message-ID whatever its shape; words in a list are not ids.
    expect(normalizeMessageId('ABCDEF')).toBe('<ABCDEF>');
    expect(parseMessageIds('see you later')).toEqual([]);
    expect(normalizeMessageId('')).toBeNull();
  });

  it('is linear on a hostile value', () => {
    const value = `${'<'.repeat(200_000)}${' x'.repeat(200_000)}(${'('.repeat(100_000)}`;
    const started = performance.now();
    parseMessageIds(value);
    normalizeMessageId(value);
    const ms = performance.now() - started;
    console.log(`hostile msg-id list of ${value.length} chars: ${ms.toFixed(0)} ms`);
  });
});

describe('raw 8-bit header bytes', () => {
  it('the encoded-headers reproducer (raw ISO-8859-1): readable with the body charset, no U+FFFD', () => {
    const raw = headerBlock(`${FIELD}/encoded-headers/in-3.eml`);
    const text = decodeHeaderBytes(raw, 'iso-8859-1');
    const h = parseHeaderBlock(text);
    console.log('in-3 subject:', headerText(h, 'subject'), '| from:', JSON.stringify(parseAddresses(h.from)));
    expect(text).not.toContain('\ufffd');
    expect(headerText(h, 'subject')).toMatch(/Réunion à Genève/);
    expect(parseAddresses(h.from)[0]?.name).toBe('Hélène Girard');
  });

  it('UTF-8 when valid, else the declared charset, else windows-1252; line by line', () => {
    const mixed = Buffer.concat([
      Buffer.from('Subject: '),
      iconv.encode('Grüße aus Köln – “Plan”', 'windows-1252'),
      Buffer.from('\r\nFrom: '),
      Buffer.from('Zoë Ñúñez <z@x.example>', 'utf8'),
      Buffer.from('\r\n\r\n'),
    ]);
    expect(decodeHeaderBytes(mixed, null)).toBe(
      'Subject: Grüße aus Köln – “Plan”\r\nFrom: Zoë Ñúñez <z@x.example>\r\n\r\n',
    );
    // A body that claims UTF-8 says nothing about header bytes that are not UTF-8.
    expect(decodeHeaderBytes(mixed, 'utf-8')).not.toContain('\ufffd');
    expect(decodeHeaderBytes(iconv.encode('Subject: Привет, мир\r\n', 'koi8-r'), 'koi8-r')).toBe(
      'Subject: Привет, мир\r\n',
    );
    expect(decodeHeaderBytes(iconv.encode('Subject: Cześć Łódź\r\n', 'iso-8859-2'), 'ISO-8859-2')).toBe(
      'Subject: Cześć Łódź\r\n',
    );
    expect(decodeHeaderBytes(iconv.encode('Subject: 会議の件\r\n', 'shift_jis'), 'shift_jis')).toBe(
      'Subject: 会議の件\r\n',
    );
    // An unknown charset label falls back to windows-1252 rather than U+FFFD.
    expect(decodeHeaderBytes(Buffer.from([0x53, 0x3a, 0x20, 0x52, 0xe9, 0x0d, 0x0a]), 'x-unknown')).toBe('S: Ré\r\n');
  });

  it('raw ISO-2022-JP (7-bit JIS escapes, as old Japanese mail writes headers)', () => {
    const utf8 = Buffer.concat([Buffer.from('Subject: '), Buffer.from('会議', 'utf8'), Buffer.from('\r\n')]);
    // iconv-lite cannot encode ISO-2022-JP: build the JIS bytes by hand (ESC $ B … ESC ( B).
    const kaigi = Buffer.from('Subject: \x1b$B2q5D\x1b(B\r\n', 'latin1');
    expect(decodeHeaderBytes(kaigi, null)).toBe('Subject: 会議\r\n');
    expect(decodeHeaderBytes(utf8, null)).toBe('Subject: 会議\r\n');
  });
});

describe('reply prefixes', () => {
  it('the subject-prefix-stacking reproducer: every expected subject', () => {
    const expected = readFileSync(`${FIELD}/subject-prefix-stacking/expected.txt`, 'utf8').trim().split('\n');
    for (const line of expected) {
      const [id, want] = line.split('|') as [string, string];
      const n = id.match(/sp-(\d+)@/)?.[1];
      const subject = headerText(
        parseHeaderBlock(headerBlock(`${FIELD}/subject-prefix-stacking/in-${n}.eml`).toString('utf8')),
        'subject',
      );
      expect(replySubject(subject), `${subject}`).toBe(want);
    }
  });

  it('every known prefix, any case, ASCII or full-width colon, counters, French spacing, never stacked', () => {
    for (const p of REPLY_PREFIXES) {
      for (const form of [p, p.toUpperCase(), p[0]?.toUpperCase() + p.slice(1)]) {
        expect(replySubject(`${form}: Plan`), form).toBe('Re: Plan');
        expect(replySubject(`${form}：Plan`), form).toBe('Re: Plan');
        expect(replySubject(`Re: ${form}: Re[3]: Plan`), form).toBe('Re: Plan');
      }
    }
    expect(replySubject('RE : Réf. : x')).toBe('Re: x');
    expect(replySubject('Odp.: Rev.: plan')).toBe('Re: Rev.: plan');
    expect(replySubject('Re[2]: Re(3): RE^4: x')).toBe('Re: x');
    expect(replySubject('Re: 回复: 答复: 会议')).toBe('Re: 会议');
    expect(replySubject('AW: WG: Angebot')).toBe('Re: WG: Angebot');
    expect(replySubject('Fwd: Re: x')).toBe('Re: Fwd: Re: x');
    expect(replySubject('Research: results')).toBe('Re: Research: results');
    expect(replySubject('Rex: the dog')).toBe('Re: Rex: the dog');
    expect(replySubject('')).toBe('Re:');
    expect(replySubject('Re: ')).toBe('Re:');
    expect(stripReplyPrefixes('  ΣΧΕΤ: Απ: Συνάντηση ')).toBe('Συνάντηση');
  });

  it('is fast on a hostile subject', () => {
    const subject = `${'Re: '.repeat(50_000)}${' '.repeat(100_000)}x`;
    const started = performance.now();
    replySubject(subject);
    replySubject(`Re${' '.repeat(200_000)}`);
    const ms = performance.now() - started;
    console.log(`hostile subject: ${ms.toFixed(0)} ms`);
  });
});

describe('encoded-words labelled with the wrong charset', () => {
  it('"unknown-8bit", "x-unknown", Latin-1 bytes labelled utf-8, a mix: readable, never U+FFFD', () => {
    const text = (v: string) => headerText({ subject: [v] }, 'subject');
    expect(text('=?unknown-8bit?Q?R=E9union?= =?unknown-8bit?Q?_=E0_Gen=E8ve?=')).toBe('Réunion à Genève');
    expect(text('=?x-unknown?B?UukK?=')).toBe('Ré');
    expect(text('=?utf-8?Q?R=E9union?= demain')).toBe('Réunion demain');
    expect(text('=?utf-8?B?w6k=?= =?utf-8?Q?R=E9union?=')).toBe('éRéunion');
    // A character split across two words (legal per RFC 2047 §5 in practice) still joins.
    expect(text('=?utf-8?Q?=E2=82?= =?utf-8?Q?=AC?=')).toBe('€');
    expect(text('=?utf-8?Q?=81=8D?=')).not.toContain('\ufffd');
    expect(text('=?iso-8859-1?Q?Caf=E9?=')).toBe('Café');
  });
});

describe('a message read from a file takes the same header path as sync', () => {
  it('decodeMessage: raw ISO-8859-1 headers read with the body charset', () => {
    const decoded = decodeMessage(readFileSync(`${FIELD}/encoded-headers/in-3.eml`));
    const h = parseHeaderBlock(decoded.headers);
    expect(headerText(h, 'subject')).toMatch(/Réunion à Genève/);
    expect(decoded.headers).not.toContain('\ufffd');
  });
});
