// A named inline text part (Content-Disposition: inline; filename=…) is the body when there is no
// other: Outlook and TNEF converters name their body parts; an attachment-only mail has no body.
import { describe, expect, it } from 'vitest';
import { planParts } from '../../src/imap/body-structure.js';

describe('named inline body parts', () => {
  const named = (type: string, part?: string, filename = 'message.txt') => ({
    type,
    ...(part ? { part } : {}),
    parameters: { charset: 'utf-8', name: filename },
    disposition: 'inline',
    dispositionParameters: { filename },
    encoding: 'quoted-printable',
    size: 120,
  });

  it('a single-part text/plain named message.txt, inline, is the body', () => {
    const plan = planParts(named('text/plain'));
    expect(plan.plain.map((p) => p.part)).toEqual(['1']);
    expect(plan.attachments).toEqual([]);
  });

  it('a named text part first in multipart/mixed beside a PDF is the body; the PDF stays an attachment', () => {
    const plan = planParts({
      type: 'multipart/mixed',
      childNodes: [
        named('text/plain', '1'),
        { type: 'application/pdf', part: '2', disposition: 'attachment', dispositionParameters: { filename: 'a.pdf' } },
      ],
    });
    expect(plan.plain.map((p) => p.part)).toEqual(['1']);
    expect(plan.attachments.map((a) => a.part)).toEqual(['2']);
  });

  it('named alternatives (body.txt + body.html, as TNEF converters write them) are both the body', () => {
    const plan = planParts({
      type: 'multipart/alternative',
      childNodes: [named('text/plain', '1', 'body.txt'), named('text/html', '2', 'body.html')],
    });
    expect(plan.plain.map((p) => p.part)).toEqual(['1']);
    expect(plan.html.map((p) => p.part)).toEqual(['2']);
  });

  it('with a real body, an inline named text part stays an attachment; a PDF-only mail has no body', () => {
    const plan = planParts({
      type: 'multipart/mixed',
      childNodes: [
        { type: 'text/plain', part: '1', parameters: { charset: 'utf-8' } },
        named('text/plain', '2', 'log.txt'),
      ],
    });
    expect(plan.plain.map((p) => p.part)).toEqual(['1']);
    expect(plan.attachments.map((a) => a.part)).toEqual(['2']);
    const pdf = planParts({
      type: 'multipart/mixed',
      childNodes: [{ type: 'application/pdf', part: '1', disposition: 'attachment' }],
    });
    expect(pdf.plain).toEqual([]);
    expect(pdf.html).toEqual([]);
  });
});
