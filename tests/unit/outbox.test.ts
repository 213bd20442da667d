// Unit tests of the outbox's pure parts: the declared states and fault points, the gate that
// decides which messages may get a draft (identity by content, the user's "no", refusals per
// model), one draft per thread per run, and the durable write that precedes an APPEND.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type InboxCandidate, newestPerThread, outboxGate } from '../../src/drafts/candidates.js';
import { FAULT_POINTS, faultPoint, OUTBOX_STATES } from '../../src/drafts/outbox.js';
import { ImapError } from '../../src/imap/errors.js';
import { openStore } from '../../src/store/db.js';
import { type DraftRow, type DraftState, durably } from '../../src/store/drafts.js';

let nextId = 1;
function row(over: Partial<DraftRow>): DraftRow {
  return {
    id: nextId++,
    account_id: 1,
    draft_key: `k${nextId}`,
    message_id: `<d${nextId}@x>`,
    parent_message_id: '<p@x>',
    parent_content: 1,
    parent_mailbox: 'INBOX',
    parent_uidvalidity: 1,
    parent_uid: 1,
    thread_key: '<p@x>',
    state: 'appended',
    reason: null,
    mailbox: 'Drafts',
    uidvalidity: 1,
    uid: 1,
    raw: null,
    body: '',
    mode: 'model',
    model_version: null,
    model_key: 'base:m',
    generation: null,
    feedback: null,
    created_at: 0,
    updated_at: 0,
    ...over,
  };
}

function candidate(over: Partial<InboxCandidate>): InboxCandidate {
  return {
    uid: 1,
    messageId: '<p@x>',
    from: [{ address: 'a@x' }],
    to: [],
    cc: [],
    subject: null,
    date: 0,
    flags: [],
    skipReasons: [],
    ownText: 'hi',
    error: null,
    contentId: 1,
    mailbox: 'INBOX',
    uidValidity: 1,
    threadKey: '<p@x>',
    ancestors: [],
    ...over,
  };
}

describe('outbox declarations', () => {
  it('declares every state once, each with a one-line meaning', () => {
    const states: DraftState[] = [
      'planned',
      'appended',
      'retiring',
      'superseded',
      'touched',
      'sent',
      'discarded',
      'failed',
    ];
    expect(Object.keys(OUTBOX_STATES).sort()).toEqual([...states].sort());
    for (const meaning of Object.values(OUTBOX_STATES)) expect(meaning).toMatch(/^[^\n]{10,}$/);
    console.log(
      Object.entries(OUTBOX_STATES)
        .map(([s, m]) => `${s.padEnd(10)} ${m}`)
        .join('\n'),
    );
  });

  it('fault points do nothing unless UNDERSTUDY_FAULT names them; "-drop" closes the connection with a typed error', () => {
    const before = process.env.UNDERSTUDY_FAULT;
    try {
      delete process.env.UNDERSTUDY_FAULT;
      for (const point of Object.keys(FAULT_POINTS)) faultPoint(point as keyof typeof FAULT_POINTS);
      process.env.UNDERSTUDY_FAULT = 'after-append-drop';
      let closed = 0;
      const imap = { close: () => closed++ } as unknown as Parameters<typeof faultPoint>[1];
      faultPoint('after-plan', imap);
      expect(closed).toBe(0);
      let thrown: unknown;
      try {
        faultPoint('after-append', imap);
      } catch (err) {
        thrown = err;
      }
      expect(closed).toBe(1);
      expect(thrown).toBeInstanceOf(ImapError);
      expect((thrown as ImapError).code).toBe('CONNECTION_LOST');
    } finally {
      if (before === undefined) delete process.env.UNDERSTUDY_FAULT;
      else process.env.UNDERSTUDY_FAULT = before;
    }
  });
});

describe('outboxGate', () => {
  it('a message with a live or user-taken draft is held back; another message with the same Message-ID is not', () => {
    for (const state of ['planned', 'appended', 'retiring', 'touched'] as const) {
      const gate = outboxGate([row({ state, parent_content: 1 })], 'base:m');
      expect(gate(candidate({ contentId: 1 })), state).toBe('draft_exists');
      expect(gate(candidate({ contentId: 2 })), `${state}, same Message-ID, other content`).toBeNull();
    }
  });

  it('the user’s answers: deleted → declined, sent → replied, replaced by us → superseded', () => {
    expect(outboxGate([row({ state: 'discarded' })], 'base:m')(candidate({}))).toBe('declined');
    expect(outboxGate([row({ state: 'sent' })], 'base:m')(candidate({}))).toBe('replied');
    expect(outboxGate([row({ state: 'superseded' })], 'base:m')(candidate({}))).toBe('superseded');
  });

  it('a refusal holds the message back under the same model only', () => {
    const rows = [row({ state: 'failed', model_key: 'base:m' })];
    expect(outboxGate(rows, 'base:m')(candidate({}))).toBe('refused_before');
    expect(outboxGate(rows, 'version:2')(candidate({}))).toBeNull();
    const both = [...rows, row({ state: 'failed', model_key: 'version:2' })];
    expect(outboxGate(both, 'version:2')(candidate({}))).toBe('refused_before');
  });

  it('a draft the user took over holds back later messages of its thread, not a same-id message elsewhere', () => {
    const gate = outboxGate([row({ state: 'touched', parent_content: 1, thread_key: '<root@x>' })], 'base:m');
    expect(gate(candidate({ contentId: 5, messageId: '<later@x>', threadKey: '<root@x>' }))).toBe('draft_exists');
    expect(gate(candidate({ contentId: 6, messageId: '<p@x>', threadKey: '<root@x>' }))).toBeNull();
    expect(gate(candidate({ contentId: 7, messageId: '<other@x>', threadKey: '<other@x>' }))).toBeNull();
    // A thread whose draft was only deleted is open again for a new message.
    const declined = outboxGate([row({ state: 'discarded', parent_content: 1, thread_key: '<root@x>' })], 'base:m');
    expect(declined(candidate({ contentId: 5, messageId: '<later@x>', threadKey: '<root@x>' }))).toBeNull();
  });
});

describe('newestPerThread', () => {
  it('keeps only the newest message of a thread, and every message sharing a Message-ID', () => {
    const a = candidate({ contentId: 1, messageId: '<a@x>', threadKey: '<a@x>' });
    const b = candidate({ contentId: 2, messageId: '<b@x>', threadKey: '<a@x>' });
    const dup1 = candidate({ contentId: 3, messageId: '<d@x>', threadKey: '<d@x>' });
    const dup2 = candidate({ contentId: 4, messageId: '<d@x>', threadKey: '<d@x>' });
    expect(newestPerThread([a, dup1, b, dup2]).map((c) => c.contentId)).toEqual([3, 2, 4]);
  });
});

describe('durably', () => {
  it('commits with synchronous=FULL and puts the store back to NORMAL', () => {
    const db = openStore(join(mkdtempSync(join(tmpdir(), 'understudy-outbox-')), 'store.db'));
    try {
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      const during = durably(db, () => db.pragma('synchronous', { simple: true }));
      expect(during).toBe(2); // FULL
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(() =>
        durably(db, () => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });
});
