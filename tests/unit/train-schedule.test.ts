// The daemon's training schedule: a tick with nothing new answers from the previous tick's count
// without rebuilding any dataset; new mail, an exclusion or a finished training are noticed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { type BuildOptions, buildDataset } from '../../src/dataset/build.js';
import { ensureAccount } from '../../src/store/accounts.js';
import { type Db, openStore } from '../../src/store/db.js';
import { addExclusion } from '../../src/store/excluded-correspondents.js';
import { ensureMailbox } from '../../src/store/mailboxes.js';
import { deleteUids, insertMessages, type NewMessage } from '../../src/store/messages.js';
import { insertVersion } from '../../src/store/model-versions.js';
import { TrainingSchedule } from '../../src/train/schedule.js';
import { plainTextMessage } from '../helpers/new-message.js';

const HOUR = 3_600_000;
const config = parseConfig(
  `
[[accounts]]
name = "work"
host = "imap.example.com"
user = "ann@example.com"
addresses = ["ann@example.com"]
password_command = "true"

[daemon]
min_new_examples = 2
`,
  '/home/ann/.config/understudy/config.toml',
  { HOME: '/home/ann' },
);

function message(
  uid: number,
  id: string,
  from: string,
  to: string,
  text: string,
  date: number,
  inReplyTo: string | null = null,
): NewMessage {
  const subject = inReplyTo ? 'Re: plans' : 'plans';
  return plainTextMessage({ uid, id, from, to, subject, text, date, inReplyTo });
}

const QUESTIONS = [
  'could you send me the figures for the Lisbon project by Friday?',
  'are you joining the offsite in March, and should I book a room for you?',
  'the printer on the third floor is broken again; do you know who to call?',
  'would Tuesday at ten work for the budget review with the finance team?',
  'did the contract draft from the lawyers reach you, or should I resend it?',
];
const ANSWERS = [
  'sure, the numbers will be with you on Thursday morning, after the audit call.',
  'yes, I will be there for both days; a room near the station would be great.',
  'Facilities handles it: ring extension 4411 and ask for Marco, he fixed it last time.',
  'Tuesday is fine, but could we make it half past ten? I have a call until then.',
  'it arrived yesterday evening; I have marked two clauses and will send notes tonight.',
];

/** Adds question `n` (1..5) from a correspondent to INBOX and Ann's answer to Sent. */
function addExchange(db: Db, n: number): void {
  const account = ensureAccount(db, { name: 'work', host: 'imap.example.com', user: 'ann@example.com' });
  const inbox = ensureMailbox(db, account, { path: 'INBOX' });
  const sent = ensureMailbox(db, account, { path: 'Sent', specialUse: '\\Sent' });
  const at = Date.UTC(2026, 0, 1) + n * 7 * 24 * HOUR;
  const who = `person${n}@example.org`;
  const q = `<q${n}@example.org>`;
  insertMessages(db, account, inbox.id, [
    message(n, q, who, 'ann@example.com', `Hi Ann,\n\n${QUESTIONS[n - 1]}\n\nThanks, P${n}`, at),
  ]);
  insertMessages(db, account, sent.id, [
    message(n, `<a${n}@example.com>`, 'ann@example.com', who, `Hello,\n\n${ANSWERS[n - 1]}\n\nBest, Ann`, at + HOUR, q),
  ]);
}

/** A message that answers nothing and gets no answer: new mail that makes no example. */
function addNewsletter(db: Db): void {
  const account = ensureAccount(db, { name: 'work', host: 'imap.example.com', user: 'ann@example.com' });
  const inbox = ensureMailbox(db, account, { path: 'INBOX' });
  const at = Date.UTC(2026, 2, 1);
  insertMessages(db, account, inbox.id, [
    message(100, '<news@example.net>', 'news@example.net', 'ann@example.com', 'This week: three new recipes.', at),
  ]);
}

describe('TrainingSchedule', () => {
  let db: Db;
  let builds: string[];
  let gpu: string | null;
  let schedule: TrainingSchedule;

  beforeEach(() => {
    db = openStore(join(mkdtempSync(join(tmpdir(), 'understudy-schedule-')), 'understudy.db'));
    builds = [];
    gpu = null;
    schedule = new TrainingSchedule({
      build: (options: BuildOptions) => {
        builds.push(options.account.name);
        return buildDataset(options);
      },
      gpuBusy: () => gpu,
    });
  });
  afterEach(() => db.close());

  it('skips an account that was never synced, without building anything', () => {
    const d = schedule.decide(db, config);
    expect(d).toMatchObject({ due: false, freshExamples: 0, built: [] });
    expect(builds).toEqual([]);
  });

  it('a tick with nothing new does not rebuild; new mail, an exclusion or a training are noticed', () => {
    for (let n = 1; n <= 3; n++) addExchange(db, n);
    const first = schedule.decide(db, config);
    expect(first.built).toEqual(['work']);
    expect(first.freshExamples).toBe(3);
    expect(first.due).toBe(true);

    // Nothing new: the same answer, no buildDataset call at all.
    const second = schedule.decide(db, config);
    expect(second).toEqual({ ...first, built: [] });
    expect(builds).toEqual(['work']);

    // A training on those three examples: nothing fresh, still without a rebuild.
    insertVersion(db, {
      id: 1,
      base: 'tiny',
      baseRepo: null,
      baseCommit: null,
      dir: '/tmp/v1',
      evalLoss: null,
      baseEvalLoss: null,
      score: null,
      styleMatch: null,
      metrics: {},
      data: { examples: 3 },
    });
    const trained = schedule.decide(db, config);
    expect(trained).toMatchObject({ due: false, freshExamples: 0, built: [] });
    expect(trained.reason).toBe('0 new examples since the last training (daemon.min_new_examples = 2)');

    // One new message can add one example at most: below min_new_examples = 2 without a rebuild.
    addNewsletter(db);
    const bounded = schedule.decide(db, config);
    expect(bounded).toMatchObject({ due: false, freshExamples: 0, built: [] });
    expect(bounded.reason).toBe(
      'at most 1 new examples (1 new messages) since the last training (daemon.min_new_examples = 2)',
    );

    // Enough new mail to reach it: rebuilt once to count exactly, then quiet again.
    addExchange(db, 4);
    addExchange(db, 5);
    expect(schedule.decide(db, config)).toMatchObject({ due: true, freshExamples: 2, built: ['work'] });
    expect(schedule.decide(db, config).built).toEqual([]);

    // `understudy privacy exclude` changes the dataset without new mail: noticed too.
    addExclusion(db, { pattern: 'person5@example.org', kind: 'sender' });
    expect(schedule.decide(db, config)).toMatchObject({ due: false, freshExamples: 1, built: ['work'] });

    // Deleted mail can take examples away: only a rebuild can say how many.
    const account = ensureAccount(db, { name: 'work', host: 'imap.example.com', user: 'ann@example.com' });
    deleteUids(db, ensureMailbox(db, account, { path: 'Sent', specialUse: '\\Sent' }).id, [4]);
    expect(schedule.decide(db, config)).toMatchObject({ due: false, freshExamples: 0, built: ['work'] });
    expect(builds).toEqual(['work', 'work', 'work', 'work']);
  });

  it('enough new examples but a busy GPU: not due, the GPU is the reason', () => {
    for (let n = 1; n <= 2; n++) addExchange(db, n);
    gpu = 'the GPU is 93 % busy (train.gpu_busy_fraction = 0.5)';
    expect(schedule.decide(db, config)).toMatchObject({ due: false, reason: gpu, freshExamples: 2 });
    gpu = null;
    expect(schedule.decide(db, config)).toMatchObject({ due: true, reason: null, built: [] });
  });
});
