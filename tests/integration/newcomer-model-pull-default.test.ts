// README's install line runs `understudy model pull` with no name and then `understudy train`: the
// pull must fetch the model train will use (the config's train.base_model), not always the default
// preset; a base_model that is a folder on this machine needs no download. Against the built CLI and
// a hub on loopback that records what was asked for (nothing leaves the machine).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli } from '../helpers/account.js';
import { type NotFoundHub, startNotFoundHub } from '../helpers/not-found-hub.js';

const server = inject('dovecot');

describe('model pull without a name pulls train.base_model', () => {
  let hub: NotFoundHub;
  let hubUrl: string;
  let asked: string[];

  beforeAll(async () => {
    hub = await startNotFoundHub();
    hubUrl = hub.url;
    asked = hub.asked;
  });
  afterAll(() => hub.close());

  it('asks the hub for the configured repository, not the default preset', async () => {
    const account = newAccount(server, { top: '[train]\nbase_model = "test-org/picked-model"\n' });
    asked.length = 0;
    const r = await runCli(['--config', account.configFile, 'model', 'pull', '--hub-url', hubUrl]);
    expect(r.code).not.toBe(0); // the hub here has no such model
    expect(asked.length).toBeGreaterThan(0);
    expect(
      asked.every((u) => u.includes('test-org/picked-model')),
      asked.join('\n'),
    ).toBe(true);
  });

  it('a name on the command line still wins over the config', async () => {
    const account = newAccount(server, { top: '[train]\nbase_model = "test-org/picked-model"\n' });
    asked.length = 0;
    await runCli(['--config', account.configFile, 'model', 'pull', 'other-org/named', '--hub-url', hubUrl]);
    expect(asked.length).toBeGreaterThan(0);
    expect(
      asked.every((u) => u.includes('other-org/named')),
      asked.join('\n'),
    ).toBe(true);
  });

  it('a base_model folder on this machine: nothing to download, exit 0, no request', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'understudy-base-'));
    const account = newAccount(server, { top: `[train]\nbase_model = "${folder}"\n` });
    asked.length = 0;
    const r = await runCli(['--config', account.configFile, 'model', 'pull', '--hub-url', hubUrl]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/nothing to download/);
    expect(asked).toEqual([]);
  });
});
