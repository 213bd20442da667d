// `understudy pause` / `resume` against Dovecot: while paused, `draft` generates and appends
// nothing (and needs no model), `status` says "drafting paused"; after resume the same message is
// taken up again (here by an untrained tiny model whose reply is refused: proof that it ran).
import { describe, expect, inject, it } from 'vitest';
import { newAccount, runCli } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';
import { TEST_PYTHON, tinyModel } from '../helpers/tiny-model.js';

const server = inject('dovecot');

describe('understudy pause / resume', () => {
  it('stops drafting without stopping sync, and resumes', async () => {
    const account = newAccount(server, {
      top: `[train]\nbase_model = "${tinyModel({ seed: 7 })}"\npython = "${TEST_PYTHON}"\n[drafts]\nmax_new_tokens = 20\n`,
    });
    const cli = (...args: string[]) => runCli(['--config', account.configFile, ...args], {}, 300_000);
    const client = await account.client();
    await appendMessages(
      client,
      'INBOX',
      [
        buildMessage({
          from: 'Tom X <tom@partner.example>',
          to: `Anna <${account.user}@example.test>`,
          subject: 'Friday',
          body: 'Hi Anna,\r\n\r\nAre you free on Friday?\r\n\r\nTom',
          date: new Date(),
        }),
      ],
      [],
    );

    const paused = await cli('pause');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/drafting paused/);
    expect((await cli('pause')).stdout).toMatch(/already paused/);

    const sync = await cli('sync', '-q');
    expect(sync.code, sync.stderr).toBe(0);
    const draft = await cli('draft', '--json');
    expect(draft.code, draft.stderr).toBe(0);
    const result = JSON.parse(draft.stdout).accounts[0];
    expect(result.paused.by).toBe('understudy pause');
    expect(result.drafted).toHaveLength(0);
    expect(result.failed).toHaveLength(0);
    expect(result.decisions).toHaveLength(0);
    const human = await cli('draft');
    expect(human.stdout).toMatch(/drafting is paused .*nothing was drafted; understudy resume/);
    const status = await cli('status');
    expect(status.stdout).toMatch(/drafting paused .*understudy resume/);
    expect(JSON.parse((await cli('status', '--json')).stdout).draftingPaused.by).toBe('understudy pause');
    const lock = await client.getMailboxLock('Drafts');
    try {
      expect(client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : -1).toBe(0);
    } finally {
      lock.release();
    }

    const resumed = await cli('resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/drafting resumed/);
    // Idempotent: resuming when not paused is done (rc 0) and says so.
    const again = await cli('resume');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/drafting was not paused/);
    const after = await cli('draft', '--json');
    const r = JSON.parse(after.stdout).accounts[0];
    console.log(`after resume: drafted ${r.drafted.length}, refused ${JSON.stringify(r.failed)}, exit ${after.code}`);
    expect(r.paused).toBeUndefined();
    expect(r.decisions.map((d: { action: string }) => d.action)).toEqual(['draft']);
    expect(r.drafted.length + r.failed.length).toBe(1);
    expect(JSON.parse((await cli('status', '--json')).stdout).draftingPaused).toBeNull();
    await client.logout();
  }, 400_000);
});
