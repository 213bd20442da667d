// boundHeaderBlock: huge header blocks are cut per field, and the threading fields survive whatever precedes them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundHeaderBlock, MAX_FIELD_BYTES } from '../../src/mail/header-bounds.js';
import {
  headerText,
  normalizeMessageId,
  parseAddresses,
  parseHeaderBlock,
  parseMessageIds,
} from '../../src/mail/headers.js';

const HOSTILE = resolve(import.meta.dirname, '../../../shared/corpora/field/hostile');

function headerBytes(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  return raw.subarray(0, end + 4);
}

describe('boundHeaderBlock', () => {
  it('returns an ordinary header block unchanged', () => {
    const raw = Buffer.from('From: Ann <a@b.c>\r\nSubject: hi\r\nMessage-ID: <x@y>\r\n\r\n');
    const out = boundHeaderBlock(raw);
    expect(out.bytes.equals(raw)).toBe(true);
    expect(out.truncated).toEqual([]);
  });

  it('keeps the Message-ID that follows a 1 MB Subject (field/hostile/subject-1mb-then-message-id.eml)', () => {
    const raw = headerBytes(readFileSync(resolve(HOSTILE, 'subject-1mb-then-message-id.eml')));
    expect(raw.length).toBeGreaterThan(1_000_000);
    const out = boundHeaderBlock(raw);
    expect(out.bytes.length).toBeLessThan(2 * MAX_FIELD_BYTES);
    expect(out.truncated).toEqual(['subject']);
    const h = parseHeaderBlock(out.bytes.toString('utf8'));
    expect(normalizeMessageId(headerText(h, 'message-id'))).toBe('<fuzz-2@example.test>');
    expect(headerText(h, 'from')).toContain('bob@example.test');
    expect(headerText(h, 'subject')?.startsWith('SSSS')).toBe(true);
  });

  it('keeps the first and the last ids of a huge References (the parent is last, RFC 5322 §3.6.4)', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `<r${i}@example.test>`);
    const raw = Buffer.from(`Subject: x\r\nReferences: ${ids.join('\r\n ')}\r\nMessage-ID: <m@x>\r\n\r\n`);
    const out = boundHeaderBlock(raw);
    expect(out.truncated).toEqual(['references']);
    const refs = parseMessageIds(parseHeaderBlock(out.bytes.toString('utf8')).references?.join(' '));
    expect(refs[0]).toBe('<r0@example.test>');
    expect(refs.at(-1)).toBe('<r19999@example.test>');
    expect(refs.length).toBeGreaterThan(100);
  });

  it('drops fields past the block cap but never the threading fields, which may come last', () => {
    const filler = Array.from({ length: 50 }, (_, i) => `X-Filler-${i}: ${'y'.repeat(1000)}`).join('\r\n');
    const raw = Buffer.from(
      `${filler}\r\nFrom: a@b.c\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nIn-Reply-To: <p@x>\r\n\r\n`,
    );
    const out = boundHeaderBlock(raw, { maxBlockBytes: 8 * 1024 });
    const h = parseHeaderBlock(out.bytes.toString('utf8'));
    expect(headerText(h, 'in-reply-to')).toBe('<p@x>');
    expect(headerText(h, 'date')).toContain('2024');
    expect(out.truncated.length).toBeGreaterThan(0);
    expect(out.bytes.length).toBeLessThan(10 * 1024);
  });

  it('keeps the end of a cut field: the address after a huge display name with open quotes and comments', () => {
    const name = `${'"a '.repeat(20_000)}${'(c '.repeat(10_000)}${')'.repeat(10_000)}`;
    const raw = Buffer.from(`From: ${name} <ann@example.test>\r\nMessage-ID: <m@x>\r\n\r\n`);
    const out = boundHeaderBlock(raw);
    expect(out.truncated).toEqual(['from']);
    const h = parseHeaderBlock(out.bytes.toString('utf8'));
    expect(parseAddresses(h.from).map((a) => a.address)).toContain('ann@example.test');
  });

  it('does not cut a UTF-8 character in half', () => {
    const raw = Buffer.from(`Subject: ${'é'.repeat(40_000)}\r\n\r\n`);
    const out = boundHeaderBlock(raw);
    expect(out.bytes.toString('utf8')).not.toContain('\ufffd');
  });

  it('copes with garbage: no colon, bare continuation lines, LF only, no blank line', () => {
    for (const text of [' leading fold\nSubject: x\n', 'no colon at all '.repeat(5000), `A: ${'b'.repeat(70_000)}`]) {
      const out = boundHeaderBlock(Buffer.from(text));
      expect(out.bytes.length).toBeLessThanOrEqual(Math.max(text.length + 2, MAX_FIELD_BYTES + 4));
    }
  });
});
