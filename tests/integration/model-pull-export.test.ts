// `understudy model pull` makes the cold-start model: it downloads the tiny model from a hub on
// loopback, exports it to ONNX with the real worker and registers the export as version 0; drafting
// then writes with version 0 without running the worker (train.python points at no interpreter, so
// any export would fail), and a second pull neither downloads nor exports again.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { loadDraftModel } from '../../src/drafts/model.js';
import { renderConversation } from '../../src/model/prompt.js';
import { baseModelDir } from '../../src/model/pull.js';
import { migrate, openStore } from '../../src/store/db.js';
import { baseVersion, listVersions } from '../../src/store/model-versions.js';
import { runCli } from '../helpers/account.js';
import { TEST_PYTHON, tinyModel } from '../helpers/tiny-model.js';

const COMMIT = 'b'.repeat(40);
const REPO = 'test-org/tiny';
const NO_PYTHON = '/nonexistent/understudy-test/python3';

const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('model pull exports the base model once, as version 0; drafting does not export', () => {
  let server: Server;
  let hubUrl: string;
  const files: Record<string, Buffer> = {};
  const dir = mkdtempSync(join(tmpdir(), 'understudy-pull-export-'));
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'config.toml');
  const writeConfig = (python: string) => {
    const text =
      `data_dir = "${dataDir}"\nlog_level = "warn"\n[train]\nbase_model = "${REPO}"\npython = "${python}"\n` +
      '[drafts]\nthreads = 1\n\n' +
      '[[accounts]]\nname = "test"\nhost = "127.0.0.1"\nport = 1\ntls = "none"\nuser = "anna"\n' +
      'addresses = ["anna@example.test"]\npassword_env = "UNDERSTUDY_TEST_UNUSED"\n';
    writeFileSync(configFile, text, { mode: 0o600 });
    return parseConfig(text, configFile);
  };

  beforeAll(async () => {
    const model = tinyModel({ seed: 3 });
    for (const name of readdirSync(model)) files[name] = readFileSync(join(model, name));
    // The hub's URL layout (as tests/integration/model-pull.test.ts serves it): commits, tree, resolve.
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const json = (body: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
      };
      if (url.pathname === `/api/models/${REPO}/commits/main`)
        return json([{ id: COMMIT, title: 't', message: 't', authors: [], date: '2026-01-01T00:00:00Z' }]);
      if (url.pathname === `/api/models/${REPO}/tree/${COMMIT}`)
        return json(
          Object.entries(files).map(([path, data]) =>
            path.endsWith('.safetensors')
              ? {
                  type: 'file',
                  path,
                  size: data.length,
                  oid: gitSha1(data),
                  lfs: { oid: sha256(data), size: data.length },
                }
              : { type: 'file', path, size: data.length, oid: gitSha1(data) },
          ),
        );
      const m = url.pathname.match(/^\/test-org\/tiny\/resolve\/([^/]+)\/(.+)$/);
      const data = m && m[1] === COMMIT ? files[m[2] ?? ''] : undefined;
      if (!data) {
        res.statusCode = 404;
        return res.end('not found');
      }
      res.setHeader('content-length', data.length);
      res.end(data);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('pull registers version 0; drafting loads it with no Python; a second pull does nothing twice', async () => {
    writeConfig(TEST_PYTHON);
    const pulled = await runCli(['--config', configFile, 'model', 'pull', REPO, '--hub-url', hubUrl], {}, 300_000);
    console.log(`model pull: exit ${pulled.code}\n${pulled.stdout}${pulled.stderr}`);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/version 0 \(the base model, drafts before your first training\): /);

    const db = openStore(join(dataDir, 'understudy.db'));
    migrate(db);
    const v0 = baseVersion(db);
    expect(v0).toMatchObject({
      id: 0,
      status: 'base',
      base: baseModelDir(dataDir, REPO),
      base_repo: REPO,
      base_commit: COMMIT,
    });
    expect(listVersions(db)).toEqual([]); // not a trained version
    // …but `model list` shows it, as the version that writes drafts until a trained one is promoted.
    const listed = await runCli(['--config', configFile, 'model', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^\*\s+0 .* base +the base model, exported for drafting \(writes drafts until/m);
    expect(listed.stdout).toMatch(/no trained versions yet: run understudy train/);
    const graph = join(v0?.dir ?? '', 'onnx', 'model.onnx');
    const exportedAt = statSync(graph).mtimeMs;

    // Drafting: the interpreter does not exist, so an export attempt would fail with NO_TORCH.
    const config = writeConfig(NO_PYTHON);
    const model = await loadDraftModel(db, config);
    try {
      expect(model).toMatchObject({ mode: 'cold_start', version: null, dir: v0?.dir });
      const messages = renderConversation({
        user: { name: 'Anna', addresses: ['anna@example.test'] },
        now: Date.UTC(2026, 0, 5),
        incoming: {
          from: [{ name: 'Tom', address: 'tom@example.test' }],
          to: [{ address: 'anna@example.test' }],
          cc: [],
          date: Date.UTC(2026, 0, 5),
          subject: 'Lunch?',
          body: 'Shall we have lunch on Friday?',
        },
        context: [],
      });
      const generation = await model.generator.reply(messages, { maxNewTokens: 8, temperature: 0, seed: 1 });
      console.log(`cold start with version 0: ${generation.ids.length} tokens, stopped by ${generation.stoppedBy}`);
      expect(generation.ids.length).toBeGreaterThan(0);
    } finally {
      await model.generator.close();
    }
    expect(statSync(graph).mtimeMs).toBe(exportedAt);

    // Pulled again: everything verified in place, the export reused (no PyTorch needed even).
    const again = await runCli(['--config', configFile, 'model', 'pull', REPO, '--hub-url', hubUrl], {}, 300_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/\(0 downloaded now, all verified\)/);
    expect(again.stderr).not.toMatch(/exporting/);
    expect(statSync(graph).mtimeMs).toBe(exportedAt);
    expect(baseVersion(db)?.dir).toBe(v0?.dir);
    db.close();
  }, 600_000);
});
