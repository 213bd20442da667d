// The draft as a message: who it goes to (never the user), its subject, its threading headers,
// and readable names in every charset.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeDraft, replyRecipients, threadReferences } from '../../src/drafts/compose.js';

const own = new Set(['anna@example.test', 'a.devries@example.test']);
const person = (address: string, name?: string) => ({ address, ...(name ? { name } : {}) });

describe('replyRecipients', () => {
  it('the reply-to-lists reproducer: all Reply-To addresses, all authors, never the user', () => {
    // rt-1: Reply-To lists two people.
    expect(
      replyRecipients(
        {
          from: [person('carol@partner.example')],
          replyTo: [person('sales@partner.example'), person('dave@partner.example')],
          to: [person('anna@example.test')],
          cc: [],
        },
        own,
        false,
      ).to.map((p) => p.address),
    ).toEqual(['sales@partner.example', 'dave@partner.example']);
    // rt-4: Reply-To lists the user beside someone else.
    expect(
      replyRecipients(
        {
          from: [person('carol@partner.example')],
          replyTo: [person('anna@example.test'), person('dave@partner.example', 'Dave Kim')],
          to: [person('anna@example.test')],
          cc: [],
        },
        own,
        false,
      ).to,
    ).toEqual([person('dave@partner.example', 'Dave Kim')]);
    // rt-5: a contact form sends as the user, Reply-To the visitor.
    expect(
      replyRecipients(
        {
          from: [person('anna@example.test', 'Website')],
          replyTo: [person('visitor@mail.example', 'Vera Visitor')],
          to: [person('anna@example.test')],
          cc: [],
        },
        own,
        true,
      ),
    ).toEqual({ to: [person('visitor@mail.example', 'Vera Visitor')], cc: [] });
  });

  it('other instances: aliases in any case, Reply-To only the user, notes to self, reply-all without the user or repeats', () => {
    // Reply-To names only the user (an alias, in capitals): the reply goes to From.
    expect(
      replyRecipients(
        { from: [person('bob@x.example')], replyTo: [person('A.deVries@Example.TEST')], to: [], cc: [] },
        own,
        false,
      ).to.map((p) => p.address),
    ).toEqual(['bob@x.example']);
    // A +tag form of the user's address is the user too.
    expect(
      replyRecipients(
        { from: [person('bob@x.example')], replyTo: [person('anna+lists@example.test')], to: [], cc: [] },
        own,
        false,
      ).to.map((p) => p.address),
    ).toEqual(['bob@x.example']);
    // Everything leads back to the user: nobody to answer.
    expect(
      replyRecipients(
        { from: [person('anna@example.test')], replyTo: [person('a.devries@example.test')], to: [], cc: [] },
        own,
        true,
      ),
    ).toEqual({ to: [], cc: [] });
    // Reply-all: the other recipients in Cc, without the user, the To people, or a second copy.
    const all = replyRecipients(
      {
        from: [person('bob@x.example')],
        replyTo: [],
        to: [person('anna@example.test'), person('carol@x.example'), person('BOB@x.example')],
        cc: [
          person('a.devries@example.test'),
          person('carol@x.example'),
          person('dan@y.example'),
          { name: 'no address' },
        ],
      },
      own,
      true,
    );
    expect(all.to.map((p) => p.address)).toEqual(['bob@x.example']);
    expect(all.cc.map((p) => p.address)).toEqual(['carol@x.example', 'dan@y.example']);
  });
});

describe('threading headers', () => {
  it('References: ancestors then the parent, last; broken ids and repeats left out', () => {
    expect(threadReferences(['<a@x>', '<b c@x>', '<b@x>', '<a@x>'], '<p@x>')).toEqual(['<b@x>', '<a@x>', '<p@x>']);
    expect(threadReferences(['<p@x>', '<a@x>'], '<p@x>')).toEqual(['<a@x>', '<p@x>']);
    expect(threadReferences([], '<3a53c9f21a8e41f0bb9558c8029e16f0>')).toEqual(['<3a53c9f21a8e41f0bb9558c8029e16f0>']);
    expect(threadReferences(['<a@x>'], null)).toEqual(['<a@x>']);
    const long = Array.from({ length: 300 }, (_, i) => `<m${i}@x>`);
    const trimmed = threadReferences(long, '<p@x>');
    expect(trimmed).toHaveLength(40);
    expect(trimmed[0]).toBe('<m0@x>');
    expect(trimmed.slice(-2)).toEqual(['<m299@x>', '<p@x>']);
  });

  it('a composed draft: Re: subject in another script, names decoded, In-Reply-To/References well-formed', async () => {
    const raw = await composeDraft({
      from: { name: 'Anna de Vries', address: 'anna@example.test' },
      to: [{ name: 'Hélène Girard', address: 'helene@partner.example' }],
      cc: [],
      parent: {
        messageId: '<NMID-105@communication.acadomia.fr>',
        references: ['<root@x.example>', '<bare-uuid-0042abcdef>'],
        subject: 'ΑΠ: Réunion à Genève',
        date: Date.UTC(2024, 2, 4, 10, 0),
        from: [{ name: 'Hélène Girard', address: 'helene@partner.example' }],
        text: 'Bonjour Anna,\n\nLa réunion est confirmée.',
        language: 'fr',
      },
      body: 'Merci, à bientôt.',
      quoteOriginal: true,
      draftKey: 'key-1',
      messageId: '<understudy.test@example.test>',
    });
    const text = raw.toString('latin1');
    expect(text).not.toMatch(/[^\r]\n/);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('Re: Réunion à Genève');
    expect(parsed.inReplyTo).toBe('<NMID-105@communication.acadomia.fr>');
    expect(parsed.references).toEqual([
      '<root@x.example>',
      '<bare-uuid-0042abcdef>',
      '<NMID-105@communication.acadomia.fr>',
    ]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.name : '').toBe('Hélène Girard');
    expect(parsed.text).toContain('Hélène Girard <helene@partner.example> a écrit');
    expect(`${parsed.subject}${parsed.text}`).not.toContain('\ufffd');
    expect(Math.max(...text.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(998);
  });
});
