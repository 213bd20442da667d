// Issue 15 item 10, the parts without a mail server: help reflow, base_model values that cannot
// be trained, and what an offline `model pull` says.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reflow, wrapLines } from '../../src/cli/help-layout.js';
import { baseModelProblem } from '../../src/config/base-model-name.js';
import { parseConfig } from '../../src/config/load.js';
import { PullError, pullModel } from '../../src/model/pull.js';

describe('help layout', () => {
  it('reflows hand-broken prose and wraps it greedily, keeping lists and indented lines', () => {
    const text =
      'Fetches new mail, flag changes and deletions from INBOX, the Sent, Archive and All Mail\n' +
      'folders (found by their SPECIAL-USE flags).\n\nExit codes: 0 synced, 1 some mailboxes failed\n' +
      'and more.\n  understudy sync   (indented: kept)\n- an item\n- another';
    const flowed = reflow(text);
    expect(flowed.split('\n')[0]).toMatch(/All Mail folders \(found/);
    expect(flowed).toContain('Exit codes: 0 synced, 1 some mailboxes failed and more.');
    expect(flowed).toContain('\n  understudy sync   (indented: kept)\n- an item\n- another');
    const wrapped = wrapLines(flowed, 40);
    for (const line of wrapped.split('\n')) expect(line.length).toBeLessThanOrEqual(40);
    const lines = wrapped.split('\n');
    expect(lines[0]).toBe('Fetches new mail, flag changes and');
    expect(lines[1]).toBe('deletions from INBOX, the Sent, Archive');
  });
});

describe('base_model values Understudy cannot train', () => {
  const dir = mkdtempSync(join(tmpdir(), 'understudy-base-'));
  const gguf = join(dir, 'model.gguf');
  writeFileSync(gguf, 'GGUF');
  const folder = join(dir, 'hf');
  mkdirSync(folder);
  writeFileSync(join(folder, 'config.json'), '{}');

  it('names GGUF files, Ollama names and non-model folders, and passes presets, repos and HF folders', () => {
    expect(baseModelProblem(gguf)?.message).toMatch(/GGUF weight file/);
    expect(baseModelProblem('llama3.2:1b')?.message).toMatch(/Ollama model name/);
    expect(baseModelProblem('library/qwen2.5:0.5b')?.message).toMatch(/Ollama/);
    expect(baseModelProblem(dir)?.message).toMatch(/no config\.json/);
    expect(baseModelProblem(join(dir, 'missing'))?.message).toMatch(/does not exist/);
    expect(baseModelProblem(join(dir, 'missing'), { missingOk: true })).toBeNull();
    expect(baseModelProblem('qwen2.5-0.5b-instruct')).toBeNull();
    expect(baseModelProblem('Qwen/Qwen2.5-0.5B-Instruct')).toBeNull();
    expect(baseModelProblem(folder)).toBeNull();
    expect(baseModelProblem(gguf)?.fix).toMatch(/Hugging Face-layout model folder .* preset .* model pull/);
  });

  it('the config rejects them with the fix, never advising `model pull` of the same name', () => {
    const text = (name: string) =>
      `data_dir = "${dir}"\n[train]\nbase_model = "${name}"\n[[accounts]]\nname = "a"\nhost = "127.0.0.1"\nport = 143\ntls = "none"\nuser = "a"\npassword_env = "X"\n`;
    for (const name of [gguf, 'llama3.2:1b']) {
      let message = '';
      try {
        parseConfig(text(name), join(dir, 'c.toml'), {});
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/train\.base_model/);
      expect(message).toMatch(/Hugging Face-layout/);
    }
    expect(parseConfig(text(folder), join(dir, 'c.toml'), {}).train.baseModel).toBe(folder);
  });

  it('model pull of an Ollama name says what to pull instead', async () => {
    const err = await pullModel({ model: 'llama3.2:1b', dataDir: dir, hubUrl: 'http://127.0.0.1:9' }).catch((e) => e);
    expect(err).toBeInstanceOf(PullError);
    expect(err.message).toMatch(/Ollama model name.*Hugging Face-layout/);
  });
});

describe('model pull without a network', () => {
  it('names the host, the reason and how to bring a model in by hand (not just "fetch failed")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-pull-'));
    // A loopback port nothing listens on (just freed): the connection is refused at once.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await pullModel({
      model: 'qwen2.5-0.5b-instruct',
      dataDir: dir,
      hubUrl: `http://127.0.0.1:${port}`,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(PullError);
    expect(err.code).toBe('NETWORK');
    expect(err.message).not.toMatch(/^fetch failed/);
    expect(err.message).toContain(`cannot reach 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(err.message).toMatch(/huggingface-cli download Qwen\/Qwen2\.5-0\.5B-Instruct --local-dir DIR/);
    expect(err.message).toMatch(/base_model = "\/absolute\/path\/to\/DIR"/);
  });
});
