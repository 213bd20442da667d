// Triage of incoming mail: "from me" means the reply would go back to the user only, so mail the
// user's own address sends with a Reply-To to someone else (contact forms, ticket systems) is
// answered; exclusions apply to whoever the reply would go to.
import { describe, expect, it } from 'vitest';
import type { DraftSettings } from '../../src/config/load.js';
import { type Candidate, SKIP_LABELS, type TriageContext, triage } from '../../src/drafts/triage.js';
import { classifyMessage } from '../../src/mail/classify.js';

const NOW = Date.UTC(2024, 5, 1, 12);
const settings = {
  maxAgeDays: 3,
  replyWhenCc: false,
  replyAll: false,
  excludeSenders: [],
  excludeDomains: [],
  minReplyRate: 0,
} as unknown as DraftSettings;

const ctx = (over: Partial<TriageContext> = {}): TriageContext => ({
  settings,
  ownAddresses: new Set(['anna@example.test', 'info@annas-shop.example']),
  now: NOW,
  answered: new Set(),
  drafted: new Set(),
  ...over,
});

const candidate = (over: Partial<Candidate> = {}): Candidate => ({
  uid: 1,
  messageId: '<m1@x.example>',
  from: [{ address: 'bob@partner.example' }],
  to: [{ address: 'anna@example.test' }],
  cc: [],
  subject: 'Question',
  date: NOW - 3_600_000,
  flags: [],
  skipReasons: [],
  ownText: 'Can you send me the offer?',
  error: null,
  ...over,
});

const decide = (c: Partial<Candidate>, over: Partial<TriageContext> = {}) => {
  const d = triage(candidate(c), ctx(over));
  return d.action === 'skip' ? d.reason : 'draft';
};

describe('triage: who the reply would go to', () => {
  it('contact-form mail (From = the user, Reply-To = the visitor) is drafted', () => {
    expect(
      decide({
        from: [{ name: 'Website', address: 'anna@example.test' }],
        replyTo: [{ name: 'Vera', address: 'vera@mail.example' }],
      }),
    ).toBe('draft');
    // A ticket system sending as the shop's address (an alias of the user), Reply-To the customer.
    expect(
      decide({
        from: [{ address: 'INFO@annas-shop.example' }],
        replyTo: [{ address: 'customer+ticket-881@help.example' }],
        to: [{ address: 'info@annas-shop.example' }],
      }),
    ).toBe('draft');
  });

  it('mail that leads back only to the user is "from me"', () => {
    expect(decide({ from: [{ address: 'anna@example.test' }] })).toBe('from_me');
    // A sub-address (RFC 5233) is still the user's own: no draft to herself.
    expect(decide({ from: [{ address: 'Anna+Newsletter@example.test' }] })).toBe('from_me');
    expect(decide({ to: [{ address: 'anna+shop@example.test' }] })).toBe('draft');
    expect(
      decide({ from: [{ address: 'anna@example.test' }], replyTo: [{ address: 'info@annas-shop.example' }] }),
    ).toBe('from_me');
  });

  it('no sender at all; a Reply-To alone is enough', () => {
    expect(decide({ from: [] })).toBe('no_sender');
    expect(decide({ from: [{ name: 'Only a name' }] })).toBe('no_sender');
    expect(decide({ from: [], replyTo: [{ address: 'vera@mail.example' }] })).toBe('draft');
  });

  it('exclusions apply to the reply target as well as to From', () => {
    const form = { from: [{ address: 'anna@example.test' }], replyTo: [{ address: 'spam@bulk.example' }] };
    expect(decide(form, { settings: { ...settings, excludeDomains: ['bulk.example'] } })).toBe('excluded_domain');
    expect(decide(form, { settings: { ...settings, excludeSenders: ['spam@*'] } })).toBe('excluded_sender');
    // From is excluded even when Reply-To points elsewhere.
    expect(
      decide(
        { from: [{ address: 'news@letters.example' }], replyTo: [{ address: 'editor@paper.example' }] },
        { settings: { ...settings, excludeSenders: ['*@letters.example'] } },
      ),
    ).toBe('excluded_sender');
  });

  it('reply rate is that of the person the reply goes to', () => {
    const rates = new Map([['vera@mail.example', 0.9]]);
    expect(
      decide(
        { from: [{ address: 'anna@example.test' }], replyTo: [{ address: 'vera@mail.example' }] },
        { settings: { ...settings, minReplyRate: 0.5 }, replyRate: (a) => rates.get(a) ?? 0 },
      ),
    ).toBe('draft');
  });

  it('the rest of triage is unchanged: message id, age, junk, answered, cc, empty', () => {
    expect(decide({ messageId: null })).toBe('no_message_id');
    expect(decide({ date: NOW - 10 * 86_400_000 })).toBe('too_old');
    expect(decide({ skipReasons: ['bulk'] })).toBe('bulk');
    expect(decide({ flags: ['\\Answered'] })).toBe('answered');
    expect(decide({ to: [{ address: 'x@y.example' }], cc: [{ address: 'anna@example.test' }] })).toBe('cc_only');
    expect(decide({ ownText: '  ' })).toBe('empty');
  });

  it('mail addressed to neither To nor Cc of the user is "not addressed", even with reply_when_cc', () => {
    const notMe = { to: [{ address: 'me@example.test' }], cc: [] };
    expect(decide(notMe)).toBe('not_addressed');
    expect(decide(notMe, { settings: { ...settings, replyWhenCc: true } })).toBe('not_addressed');
    expect(SKIP_LABELS.not_addressed).toMatch(/addresses/);
    // Only in Cc is still its own reason, and reply_when_cc still drafts it.
    const cc = { to: [{ address: 'x@y.example' }], cc: [{ address: 'anna@example.test' }] };
    expect(decide(cc)).toBe('cc_only');
    expect(decide(cc, { settings: { ...settings, replyWhenCc: true } })).toBe('draft');
  });
});

describe('classification: a no-reply From whose Reply-To reaches a person', () => {
  const classify = (headers: Record<string, string[]>) =>
    classifyMessage({
      headers,
      from: [{ address: 'noreply@shop.example' }],
      subject: 'New message from your contact form',
      mimeType: 'text/plain',
      ownText: 'Hello, do you ship to Belgium?',
      attachments: [],
    });
  it('is answerable (a form or ticket system); without Reply-To, or with a no-reply one, it is not', () => {
    expect(classify({ 'reply-to': ['Vera Visitor <vera@mail.example>'] })).toEqual([]);
    expect(classify({})).toEqual(['no_reply_sender']);
    expect(classify({ 'reply-to': ['<do-not-reply@shop.example>'] })).toEqual(['no_reply_sender']);
  });
});
