// Per-correspondent privacy against Dovecot: a sender excluded with `understudy privacy exclude`
// (and a domain excluded in the config) never reaches the exported training data — neither their
// mail nor the user's replies to them — and is counted as excluded_correspondent; `include`
// brings them back on the next build.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');

const PEOPLE = [
  { from: 'Tom Baker <tom@partner.example>', word: 'invoice' },
  { from: 'Secret Sam <sam@private.example>', word: 'diagnosis' },
  { from: 'Kim Lee <kim@clinic.example>', word: 'appointment' },
  { from: 'Ann Ray <ann@ops.clinic.example>', word: 'roster' },
];

describe('understudy privacy exclude|include|list', () => {
  let account: TestAccount;
  const cli = (...args: string[]) => runCli(['--config', account.configFile, ...args]);

  beforeAll(async () => {
    account = newAccount(server, { top: '[dataset]\nexclude_domains = ["clinic.example"]\neval_fraction = 0' });
    const me = `Anna de Vries <${account.user}@example.test>`;
    const inbox: string[] = [];
    const sent: string[] = [];
    PEOPLE.forEach((p, i) => {
      for (let n = 0; n < 2; n++) {
        const id = `<p${i}-${n}@example.test>`;
        const day = Date.UTC(2024, 1, 1 + i * 2 + n, 9);
        inbox.push(
          buildMessage({
            from: p.from,
            to: me,
            subject: `${p.word} ${n}`,
            messageId: id,
            body: `Hi Anna,\r\n\r\nAbout the ${p.word} number ${n}: can you check it?\r\n\r\nThanks`,
            date: new Date(day),
          }),
        );
        sent.push(
          buildMessage({
            from: me,
            to: p.from,
            subject: `Re: ${p.word} ${n}`,
            inReplyTo: id,
            references: id,
            body: `Hi,\r\n\r\nYes, the ${p.word} ${n} is fine, I checked it.\r\n\r\nAnna\r\n`,
            date: new Date(day + 3_600_000),
          }),
        );
      }
    });
    const client = await account.client();
    await appendMessages(client, 'INBOX', inbox);
    await appendMessages(client, 'Sent', sent);
    await client.logout();
    const sync = await cli('sync', '-q');
    expect(sync.code, sync.stderr).toBe(0);
  }, 120_000);

  const exported = async () => {
    const out = join(account.dir, `export-${Date.now()}.jsonl`);
    const r = await cli('dataset', 'export', out);
    expect(r.code, r.stderr).toBe(0);
    return readFileSync(out, 'utf8');
  };

  it('keeps an excluded sender and an excluded domain out of the exported training data', async () => {
    const bad = await cli('privacy', 'exclude', 'not an address');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/neither an address .* nor a domain/);

    const ex = await cli('privacy', 'exclude', 'SAM@private.example');
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/excluded sender sam@private\.example/);
    // Idempotent: excluding again is done (rc 0), with a note.
    const again = await cli('privacy', 'exclude', 'sam@private.example');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already excluded; nothing to change/);

    const list = await cli('privacy', 'list', '--json');
    expect(JSON.parse(list.stdout).map((e: { pattern: string; source: string }) => `${e.pattern} ${e.source}`)).toEqual(
      ['sam@private.example privacy exclude', 'clinic.example config'],
    );

    const build = await cli('dataset', 'build', '--json');
    expect(build.code, build.stderr).toBe(0);
    const text = await exported();
    console.log(`privacy: exported ${text.trim().split('\n').length} examples`);
    expect(text).toContain('invoice');
    for (const word of ['diagnosis', 'appointment', 'roster', 'sam@private.example', 'clinic.example'])
      expect(text, word).not.toContain(word);
    expect(text.trim().split('\n')).toHaveLength(2);

    const stats = await cli('dataset', 'stats', '--json');
    expect(stats.stdout).toMatch(/"excluded_correspondent":\s*6/);
  });

  it('include lets the sender back in on the next build; the config’s domain stays excluded', async () => {
    const inc = await cli('privacy', 'include', 'sam@private.example');
    expect(inc.code, inc.stderr).toBe(0);
    const inConfig = await cli('privacy', 'include', 'clinic.example');
    expect(inConfig.code, inConfig.stderr).toBe(0);
    expect(inConfig.stdout).toMatch(/still excluded by the config/);
    const notThere = await cli('privacy', 'include', 'nobody@else.example');
    expect(notThere.code, notThere.stderr).toBe(0);
    expect(notThere.stdout).toMatch(/was not excluded .*nothing to change/);
    expect((await cli('dataset', 'build')).code).toBe(0);
    const text = await exported();
    expect(text).toContain('diagnosis');
    expect(text).not.toContain('appointment');
    expect(text.trim().split('\n')).toHaveLength(4);
  });
});
