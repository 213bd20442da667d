// Growth test: every function on the path from bytes to a draft, on every hostile family, does at most a constant
// factor more work on an input 4× as long (linear), or caps its input. Nothing is timed against a budget: work is
// compared as the ratio of two CPU measurements in the same process, the best of several, so a slow or busy machine
// cannot fail it, while a quadratic function (16× for 4× the input) or worse cannot pass.
import { describe, expect, it } from 'vitest';
import { cleanContent } from '../../src/dataset/clean.js';
import { dedupeReplies } from '../../src/dataset/dedupe.js';
import { parentByQuote } from '../../src/dataset/pairing.js';
import { baseSubject } from '../../src/dataset/thread.js';
import { cleanGenerated } from '../../src/drafts/postprocess.js';
import { classifyMessage } from '../../src/mail/classify.js';
import { boundHeaderBlock } from '../../src/mail/header-bounds.js';
import {
  decodeHeaderBytes,
  headerText,
  normalizeMessageId,
  parseAddresses,
  parseDate,
  parseHeaderBlock,
  parseMessageIds,
} from '../../src/mail/headers.js';
import { htmlToText } from '../../src/mail/html-text.js';
import { detectLanguage } from '../../src/mail/language.js';
import { decodeMessage } from '../../src/mail/message-decode.js';
import { parseAttributionLine, parseLooseDate } from '../../src/mail/quote-attribution.js';
import { htmlToQuotedText } from '../../src/mail/quote-html.js';
import { quotedMessage } from '../../src/mail/quoted-message.js';
import { quotedOriginal, replyText } from '../../src/mail/reply-text.js';
import { learnSignatures } from '../../src/mail/signatures.js';
import { replySubject } from '../../src/mail/subject.js';
import { renderIncoming } from '../../src/model/prompt.js';
import {
  BODY_FAMILIES,
  deepNestingMessage,
  type Family,
  LINE_FAMILIES,
  longReferences,
  manyAddresses,
  manyPartsMessage,
  messageWithBody,
  messageWithHeader,
} from '../fixtures/hostile/families.js';

/** 4× the input may cost this much more: 4 for linear work, 2.5× slack for noise; quadratic work costs 16×. */
const MAX_RATIO = 10;
/**
 * Sizes tried: from MIN_N up (doubling) until one run takes CALIBRATE_MS, at most MAX_N characters (4n = 128 K). The
 * quadratic cases this guards against took most of a second at that size (parseDate took 60 s on 246 KB).
 */
const MIN_N = 1_024;
const MAX_N = 32 * 1024;
const CALIBRATE_MS = 4;

function cpuMs(f: () => unknown): number {
  const start = process.cpuUsage();
  f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

interface Growth {
  n: number;
  small: number;
  large: number;
  ratio: number;
}

/**
 * Work of `f` on inputs of size n and 4n, where n is the smallest doubling from MIN_N whose run is measurable. The
 * best of `tries` runs each, alternating, so a burst of load on the machine inflates neither side alone.
 */
function growth(make: (n: number) => unknown, f: (input: never) => unknown, tries = 1): Growth {
  let n = MIN_N;
  let inputN = make(n);
  f(inputN as never); // warm up (JIT, lazily compiled regexes)
  while (n < MAX_N && cpuMs(() => f(inputN as never)) < CALIBRATE_MS) {
    n *= 2;
    inputN = make(n);
  }
  const input4n = make(4 * n);
  let small = Number.POSITIVE_INFINITY;
  let large = Number.POSITIVE_INFINITY;
  for (let t = 0; t < tries; t++) {
    small = Math.min(
      small,
      cpuMs(() => f(inputN as never)),
    );
    large = Math.min(
      large,
      cpuMs(() => f(input4n as never)),
    );
  }
  // The n run counts as at least CALIBRATE_MS: a function that returns early on the smaller input (an "echo" check
  // that stops matching once the text is capped) must not turn a few milliseconds at 4n into a huge ratio.
  return { n, small, large, ratio: large / Math.max(small, CALIBRATE_MS) };
}

/** Asserts linear growth; a first failing measurement is repeated (best of 5) before it counts. */
function expectLinear(make: (n: number) => unknown, f: (input: never) => unknown): void {
  let g = growth(make, f);
  if (g.ratio > MAX_RATIO) g = growth(make, f, 5);
  expect(
    g.ratio <= MAX_RATIO,
    `n=${g.n}: ${g.small.toFixed(1)} ms → 4n: ${g.large.toFixed(1)} ms (×${g.ratio.toFixed(1)})`,
  ).toBe(true);
}

type Fn = (s: string) => unknown;

const HEADER_FUNCTIONS: Record<string, Fn> = {
  parseDate: (s) => parseDate(s),
  baseSubject: (s) => baseSubject(s),
  replySubject: (s) => replySubject(s),
  parseMessageIds: (s) => parseMessageIds(s),
  normalizeMessageId: (s) => normalizeMessageId(s),
  parseAddresses: (s) => parseAddresses([s]),
  headerText: (s) => headerText({ subject: [s] }, 'subject'),
  parseHeaderBlock: (s) => parseHeaderBlock(`Subject: ${s}\r\nMessage-ID: <a@b>\r\n\r\n`),
  decodeHeaderBytes: (s) => decodeHeaderBytes(Buffer.from(`Subject: ${s}\r\n`, 'latin1'), 'iso-8859-2'),
  boundHeaderBlock: (s) => boundHeaderBlock(Buffer.from(`Subject: ${s}\r\nMessage-ID: <a@b>\r\n\r\n`)).bytes,
  classifyMessage: (s) =>
    classifyMessage({
      headers: { subject: [s], from: [s], 'list-id': [s], 'auto-submitted': [s], precedence: [s], 'x-mailer': [s] },
      from: [{ name: s, address: s }],
      subject: s,
      mimeType: s,
      attachments: [{ type: s, filename: s }],
      ownText: s,
      forwarded: true,
    }),
  parseLooseDate: (s) => parseLooseDate(s),
  parseAttributionLine: (s) => parseAttributionLine(s),
  'decodeMessage(Subject)': (s) => decodeMessage(messageWithHeader('Subject', s)),
  'decodeMessage(Date)': (s) => decodeMessage(messageWithHeader('Date', s)),
  'decodeMessage(References)': (s) => decodeMessage(messageWithHeader('References', s)),
  'decodeMessage(From)': (s) => decodeMessage(messageWithHeader('From', s)),
  'decodeMessage(Content-Type)': (s) => decodeMessage(messageWithHeader('Content-Type', `multipart/mixed; ${s}`)),
};

const incoming = (body: string) => ({
  user: { name: 'Me', addresses: ['me@example.test'] },
  now: Date.UTC(2024, 0, 2),
  incoming: {
    from: [{ name: 'Ann', address: 'ann@example.test' }],
    to: [{ address: 'me@example.test' }],
    cc: [],
    subject: body.slice(0, 2000),
    date: Date.UTC(2024, 0, 1),
    body,
  },
  context: [{ from: [{ address: 'ann@example.test' }], date: null, body }],
});

const candidate = (contentId: number) => ({
  contentId,
  messageId: `<p${contentId}@x>`,
  inReplyTo: null,
  references: [],
  from: [{ name: 'Ann Smith', address: 'ann@example.test' }],
  to: [],
  cc: [],
  replyTo: [],
  subject: 'hello',
  date: Date.UTC(2024, 0, 1),
  inSent: false,
});

const BODY_FUNCTIONS: Record<string, Fn> = {
  'replyText(text)': (s) => replyText({ text: s }),
  'replyText(html)': (s) => replyText({ html: s }),
  'quotedOriginal(text)': (s) => quotedOriginal({ text: s }),
  'quotedOriginal(html)': (s) => quotedOriginal({ html: s }),
  'quotedMessage(text)': (s) => quotedMessage({ text: s }),
  'quotedMessage(html)': (s) => quotedMessage({ html: s }),
  htmlToText: (s) => htmlToText(s),
  htmlToQuotedText: (s) => htmlToQuotedText(s),
  detectLanguage: (s) => detectLanguage(s),
  learnSignatures: (s) => learnSignatures([s, s, `${s}\n`]),
  cleanContent: (s) =>
    cleanContent({
      headers: 'From: Ann <ann@example.test>\r\nSubject: hi\r\n\r\n',
      mime_type: 'text/plain',
      body_text: s,
      body_html: s,
      attachments: '[]',
    }),
  'cleanContent(html)': (s) =>
    cleanContent({
      headers: 'Subject: hi\r\n\r\n',
      mime_type: 'text/html',
      body_text: null,
      body_html: s,
      attachments: '[]',
    }),
  cleanGenerated: (s) => cleanGenerated(s, s, 'eos'),
  renderIncoming: (s) => renderIncoming(incoming(s)),
  parentByQuote: (s) => {
    const quoted = quotedMessage({
      text: `Sure.\n\nOn 1 Jan 2024 at 10:00, Ann Smith <ann@example.test> wrote:\n> ${s}`,
    });
    return (
      quoted &&
      parentByQuote({
        reply: { ...candidate(1), subject: 'Re: hello', date: Date.UTC(2024, 0, 2) },
        quoted,
        bySubject: new Map([['hello', [candidate(2), candidate(3)]]]),
        ownText: () => s,
      })
    );
  },
  dedupeReplies: (s) =>
    dedupeReplies([
      { key: 'a', text: s, date: 1, parentKey: '1', thread: 'hello' },
      { key: 'b', text: s, date: 2, parentKey: '2', thread: 'hello' },
      { key: 'c', text: `${s} x`, date: 3, parentKey: '3', thread: 'hello' },
    ]),
  'decodeMessage(text/plain)': (s) => decodeMessage(messageWithBody(s, 'text/plain')),
  'decodeMessage(text/html)': (s) => decodeMessage(messageWithBody(s, 'text/html'), { sent: true }),
};

function pairs(functions: Record<string, Fn>, families: readonly Family[]): [string, string, Family, Fn][] {
  return Object.entries(functions).flatMap(([fname, f]) =>
    families.map((fam): [string, string, Family, Fn] => [fname, fam.name, fam, f]),
  );
}

describe('growth on hostile input stays linear (or the input is capped)', () => {
  describe('header-path functions × single-line families', () => {
    it.each(pairs(HEADER_FUNCTIONS, LINE_FAMILIES))('%s on %s', (_f, _fam, fam, f) => {
      expectLinear(fam.make, f);
    });
  });

  describe('body-path functions × multi-line and single-line families', () => {
    it.each(pairs(BODY_FUNCTIONS, [...BODY_FAMILIES, ...LINE_FAMILIES]))('%s on %s', (_f, _fam, fam, f) => {
      expectLinear(fam.make, f);
    });
  });

  describe('whole messages by count of their parts', () => {
    it('References of n message ids', () => {
      expectLinear(
        (n) => longReferences(n / 24),
        (s: string) => parseMessageIds(s),
      );
      expectLinear(
        (n) => messageWithHeader('References', longReferences(n / 24)),
        (raw: Buffer) => decodeMessage(raw),
      );
    });
    it('address lists of n mailboxes', () => {
      expectLinear(
        (n) => manyAddresses(n / 24),
        (s: string) => parseAddresses([s]),
      );
      expectLinear(
        (n) => boundHeaderBlock(messageWithHeader('To', manyAddresses(n / 24))).bytes,
        (raw: Buffer) => parseHeaderBlock(raw.toString('utf8')),
      );
    });
    it('n MIME parts and n levels of nesting', () => {
      expectLinear(
        (n) => manyPartsMessage(n / 32),
        (raw: Buffer) => decodeMessage(raw),
      );
      expectLinear(
        (n) => deepNestingMessage(Math.max(2, n / 64)),
        (raw: Buffer) => decodeMessage(raw),
      );
    });
  });
});
