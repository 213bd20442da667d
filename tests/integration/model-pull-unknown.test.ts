// A model name the hub does not know, or that is no model name at all, is a mistake in what was asked, not a
// failed pull: exit 64 when it was typed on the command line, 78 when it is the config's train.base_model
// (README's exit-code table keeps 1 for "partly failed"), with the fix naming `understudy model presets`.
// Against the built CLI and a hub on loopback (nothing leaves the machine).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli } from '../helpers/account.js';
import { type NotFoundHub, startNotFoundHub } from '../helpers/not-found-hub.js';

const server = inject('dovecot');

describe('model pull of a name that names no model', () => {
  let hub: NotFoundHub;
  let hubUrl: string;
  let asked: string[];

  beforeAll(async () => {
    // The real hub answers 404 (RepoNotFound), or 401 to a request without a token for a repository it does
    // not have (it will not say whether a private one exists): this one does the same by owner.
    hub = await startNotFoundHub((path) => (path.includes('/private-org/') ? 401 : 404));
    hubUrl = hub.url;
    asked = hub.asked;
  });
  afterAll(() => hub.close());

  const pull = (configFile: string, ...args: string[]) =>
    runCli(['--config', configFile, 'model', 'pull', ...args, '--hub-url', hubUrl]);

  it.each([
    ['an unknown repository id', 'test-org/nonexistent-name', true],
    ['an unknown repository the hub answers 401 for', 'private-org/nothing', true],
    ['a bare word that is no preset', 'nonexistent-name', false],
    ['an Ollama name', 'llama3.2:1b', false],
    ['a GGUF file', 'model-q4.gguf', false],
  ])('%s on the command line: exit 64, the fix names model presets', async (_what, name, asksHub) => {
    const account = newAccount(server);
    asked.length = 0;
    const r = await pull(account.configFile, name);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toContain(name);
    expect(r.stderr).toMatch(/fix: .*understudy model presets/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(asked.length > 0).toBe(asksHub);
  });

  it("the config's train.base_model unknown to the hub: exit 78, the fix names train.base_model", async () => {
    const account = newAccount(server, { top: '[train]\nbase_model = "test-org/not-on-the-hub"\n' });
    const r = await pull(account.configFile);
    expect(r.code, r.stderr).toBe(78);
    expect(r.stderr).toContain('test-org/not-on-the-hub');
    expect(r.stderr).toMatch(/fix: .*train\.base_model.*understudy model presets/);
  });
});
