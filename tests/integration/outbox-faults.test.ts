// Crash safety of the drafts outbox, the mbsync way: for every named fault point the drafting
// process is SIGKILLed there (UNDERSTUDY_FAULT), run again, and then replayed once more; after the
// rerun there is exactly one draft of ours per message on the server and in the journal, the
// user's own draft is untouched, and the replay changes nothing. Real Dovecot, real run; only the
// model's text is fixed.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { FAULT_POINTS, type FaultPoint } from '../../src/drafts/outbox.js';
import { newAccount, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';
import { journal, runStub, type ServerDraft, serverDrafts, userDelete, userFlags } from '../helpers/outbox.js';

const server = inject('dovecot');
const GARBAGE = '#### $$$$ %%%% ^^^^ &&&& **** !!!! #### $$$$';

interface World {
  account: TestAccount;
  me: string;
  /** The user's own draft, put there before anything ran: it must never change. */
  userDraft: ServerDraft;
  calls: string;
}

async function put(account: TestAccount, mailbox: string, raws: string[], flags: string[] = []): Promise<void> {
  const client = await account.client();
  try {
    await appendMessages(client, mailbox, raws, flags);
  } finally {
    await client.logout();
  }
}

function message(me: string, id: string, parent?: string): string {
  return buildMessage({
    from: 'Olivia Hughes <olivia@partner.example>',
    to: me,
    subject: parent ? 'Re: Contracts' : 'Contracts',
    messageId: id,
    ...(parent ? { inReplyTo: parent, references: parent } : {}),
    body: `Hi Anna,\r\n\r\nWould you read through the contracts once more (${id})?\r\n\r\nThanks,\r\nOlivia\r\n`,
    date: new Date(),
  });
}

async function world(): Promise<World> {
  const account = newAccount(server, { top: '[drafts]\nmax_age_days = 10\nsignature = ""\n' });
  const me = `Anna <${account.user}@example.test>`;
  await put(
    account,
    'Drafts',
    [
      buildMessage({
        from: me,
        to: 'Ben <ben@partner.example>',
        subject: 'My own draft',
        body: 'Half-written, mine.\r\n',
        date: new Date(),
      }),
    ],
    ['\\Draft', '\\Seen', '$mine'],
  );
  const [userDraft] = await serverDrafts(account);
  return { account, me, userDraft: userDraft!, calls: `${account.dir}/calls.txt` };
}

/**
 * What must hold after the rerun: every draft of ours on the server has exactly one journal row
 * (appended, or touched when the user took it over), at most one per message; the appended rows
 * are `expectedParents`, each at the UID the server has; nothing is planned or retiring; the
 * user's own draft is byte for byte and flag for flag as it was.
 */
async function invariants(w: World, label: string, expectedParents: string[]): Promise<ServerDraft[]> {
  const drafts = await serverDrafts(w.account);
  const mine = drafts.find((d) => d.uid === w.userDraft.uid);
  expect(mine?.flags, `${label}: the user's draft keeps its flags`).toEqual(w.userDraft.flags);
  expect(mine?.raw.equals(w.userDraft.raw), `${label}: the user's draft is unchanged`).toBe(true);
  const ours = drafts.filter((d) => d.key);
  const rows = journal(w.account);
  for (const d of ours) {
    const row = rows.filter((r) => r.draft_key === d.key);
    expect(
      row.map((r) => r.state),
      `${label}: journal row of the draft at UID ${d.uid}`,
    ).toHaveLength(1);
    expect(['appended', 'touched'], `${label}: state of the draft at UID ${d.uid}`).toContain(row[0]?.state);
  }
  const perParent = new Map<string, number>();
  for (const d of ours) perParent.set(d.inReplyTo ?? '', (perParent.get(d.inReplyTo ?? '') ?? 0) + 1);
  expect(
    [...perParent.values()].filter((n) => n > 1),
    `${label}: two drafts for one message`,
  ).toEqual([]);
  expect(
    rows.filter((r) => r.state === 'planned' || r.state === 'retiring'),
    `${label}: nothing left half-done`,
  ).toEqual([]);
  const live = rows.filter((r) => r.state === 'appended');
  expect(live.map((r) => r.parent_message_id).sort(), `${label}: one live journal row per message`).toEqual(
    [...expectedParents].sort(),
  );
  for (const r of live)
    expect(
      ours.find((d) => d.key === r.draft_key)?.uid,
      `${label}: the journal has the server's UID for ${r.parent_message_id}`,
    ).toBe(r.uid);
  return drafts;
}

/** Kills at `point`, reruns, checks; replays and checks that nothing changed. */
async function crashRerunReplay(
  w: World,
  point: FaultPoint | `${FaultPoint}-drop`,
  expectedParents: string[],
  env: Record<string, string> = {},
): Promise<{ rerun: Awaited<ReturnType<typeof runStub>> }> {
  const crashed = await runStub(w.account, { ...env, UNDERSTUDY_FAULT: point });
  if (point.endsWith('-drop')) expect(crashed.code, `${point}: the run fails`).not.toBe(0);
  else expect(crashed.signal, `${point}: killed there (${crashed.stderr.slice(-300)})`).toBe('SIGKILL');
  const rerun = await runStub(w.account, env);
  expect(rerun.code, `${point}: rerun ${rerun.stderr.slice(-500)}`).toBe(0);
  const after = await invariants(w, `${point}, rerun`, expectedParents);
  const journalAfter = journal(w.account).map((r) => [r.id, r.state, r.uid]);
  const replay = await runStub(w.account, env);
  expect(replay.code, `${point}: replay`).toBe(0);
  expect(replay.summary?.drafted, `${point}: replay drafts nothing`).toHaveLength(0);
  expect(replay.summary?.recovered, `${point}: replay recovers nothing`).toBe(0);
  const replayed = await invariants(w, `${point}, replay`, expectedParents);
  expect(
    replayed.map((d) => [d.uid, d.key]),
    `${point}: replay leaves the server as it was`,
  ).toEqual(after.map((d) => [d.uid, d.key]));
  expect(
    journal(w.account).map((r) => [r.id, r.state, r.uid]),
    `${point}: replay leaves the journal as it was`,
  ).toEqual(journalAfter);
  return { rerun };
}

const covered: string[] = [];

/** One scenario per fault point: how to reach it, and what must be true after the rerun. */
const SCENARIOS: Record<FaultPoint, (w: World) => Promise<void>> = {
  'after-plan': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    const { rerun } = await crashRerunReplay(w, 'after-plan', ['<m1@partner.example>']);
    expect(rerun.summary?.recovered).toBe(1);
    expect(rerun.summary?.drafted).toHaveLength(0);
  },
  'after-append': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    const { rerun } = await crashRerunReplay(w, 'after-append', ['<m1@partner.example>']);
    expect(rerun.summary?.recovered).toBe(1);
    // The same point with the connection dropped instead of a kill (the answer to APPEND is lost).
    await put(w.account, 'INBOX', [message(w.me, '<m2@partner.example>')]);
    await crashRerunReplay(w, 'after-append-drop', ['<m1@partner.example>', '<m2@partner.example>']);
  },
  'after-appended': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    const { rerun } = await crashRerunReplay(w, 'after-appended', ['<m1@partner.example>']);
    expect(rerun.summary?.recovered).toBe(0);
    expect(rerun.summary?.drafted).toHaveLength(0);
  },
  'after-recover-append': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    expect((await runStub(w.account, { UNDERSTUDY_FAULT: 'after-plan' })).signal).toBe('SIGKILL');
    await crashRerunReplay(w, 'after-recover-append', ['<m1@partner.example>']);
  },
  'after-retiring': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    expect((await runStub(w.account)).code).toBe(0);
    await put(w.account, 'INBOX', [message(w.me, '<m2@partner.example>', '<m1@partner.example>')]);
    await crashRerunReplay(w, 'after-retiring', ['<m2@partner.example>']);
    expect(journal(w.account).map((r) => r.state)).toEqual(['superseded', 'appended']);
  },
  'after-retire-remove': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    expect((await runStub(w.account)).code).toBe(0);
    await put(w.account, 'INBOX', [message(w.me, '<m2@partner.example>', '<m1@partner.example>')]);
    await crashRerunReplay(w, 'after-retire-remove', ['<m2@partner.example>']);
    expect(journal(w.account).map((r) => r.state)).toEqual(['superseded', 'appended']);
  },
  'after-refuse': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    await crashRerunReplay(w, 'after-refuse', [], { STUB_REPLY: GARBAGE, STUB_CALLS: w.calls });
    expect(journal(w.account).map((r) => r.state)).toEqual(['failed']);
    expect(readFileSync(w.calls, 'utf8').trim().split('\n')).toHaveLength(1);
  },
  'after-touched': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    expect((await runStub(w.account)).code).toBe(0);
    const ours = (await serverDrafts(w.account)).find((d) => d.key)!;
    await userFlags(w.account, 'Drafts', ours.uid, ['\\Flagged']);
    await put(w.account, 'INBOX', [message(w.me, '<m2@partner.example>', '<m1@partner.example>')]);
    await crashRerunReplay(w, 'after-touched', []);
    const drafts = await serverDrafts(w.account);
    expect(drafts.filter((d) => d.key).map((d) => [d.uid, d.flags.includes('\\Flagged')])).toEqual([[ours.uid, true]]);
    expect(journal(w.account).map((r) => r.state)).toEqual(['touched']);
  },
  'after-sent': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    expect((await runStub(w.account)).code).toBe(0);
    const ours = (await serverDrafts(w.account)).find((d) => d.key)!;
    await put(
      w.account,
      'Sent',
      [
        buildMessage({
          from: w.me,
          to: 'olivia@partner.example',
          subject: 'Re: Contracts',
          inReplyTo: '<m1@partner.example>',
          references: '<m1@partner.example>',
          body: 'Hi Olivia,\r\n\r\nDone.\r\n\r\nAnna\r\n',
          date: new Date(Date.now() + 60_000),
        }),
      ],
      ['\\Seen'],
    );
    await userDelete(w.account, 'Drafts', [ours.uid]);
    await crashRerunReplay(w, 'after-sent', []);
    expect(journal(w.account).map((r) => r.state)).toEqual(['sent']);
  },
  'after-discard': async (w) => {
    await put(w.account, 'INBOX', [message(w.me, '<m1@partner.example>')]);
    expect((await runStub(w.account)).code).toBe(0);
    const ours = (await serverDrafts(w.account)).find((d) => d.key)!;
    await userDelete(w.account, 'Drafts', [ours.uid]);
    await crashRerunReplay(w, 'after-discard', []);
    expect(journal(w.account).map((r) => r.state)).toEqual(['discarded']);
  },
};

describe('outbox fault points (SIGKILL, rerun, replay)', () => {
  it('every declared fault point has a scenario', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(Object.keys(FAULT_POINTS).sort());
  });

  for (const point of Object.keys(FAULT_POINTS) as FaultPoint[]) {
    it(`killed at ${point}: ${FAULT_POINTS[point]}`, async () => {
      const w = await world();
      await SCENARIOS[point](w);
      covered.push(point);
    });
  }

  afterAll(() => {
    console.log(`fault points covered (${covered.length}/${Object.keys(FAULT_POINTS).length}): ${covered.join(', ')}`);
  });
});
