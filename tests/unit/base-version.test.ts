// Version 0, the base model's ONNX export that the cold-start route drafts with: registered by
// `model pull` (exportBaseVersion), kept apart from the trained versions, and found by drafting
// without running the worker. A real SQLite store and real folders; the "export" is a file the test
// writes, and the Python interpreter is one that does not exist, so any attempt to export fails.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/load.js';
import { currentModelDir, currentModelKey } from '../../src/drafts/model.js';
import { baseOnnxDir, exportBaseVersion, registeredBaseExport } from '../../src/model/base-onnx.js';
import { newVersionDir, promote, registerVersion } from '../../src/model/registry.js';
import { migrate, openStore } from '../../src/store/db.js';
import {
  BASE_VERSION_ID,
  baseVersion,
  getVersion,
  latestVersion,
  listVersions,
  nextVersionId,
} from '../../src/store/model-versions.js';
import { WorkerError } from '../../src/worker/errors.js';

const NO_PYTHON = '/nonexistent/understudy-test/python3';

/** A data dir with a store, and a base model folder given by path (config.json is all resolution needs). */
function setup(name = 'tiny-base') {
  const root = mkdtempSync(join(tmpdir(), 'understudy-v0-'));
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { recursive: true });
  const baseDir = join(root, name);
  mkdirSync(baseDir, { recursive: true });
  writeFileSync(join(baseDir, 'config.json'), '{"model_type":"llama"}');
  const db = openStore(join(dataDir, 'understudy.db'));
  migrate(db);
  const config: Config = parseConfig(
    `data_dir = "${dataDir}"\n[train]\nbase_model = "${baseDir}"\npython = "${NO_PYTHON}"\n\n` +
      '[[accounts]]\nname = "test"\nhost = "127.0.0.1"\nuser = "u"\naddresses = ["u@example.test"]\npassword_env = "UNUSED"\n',
    join(root, 'config.toml'),
  );
  return { root, dataDir, baseDir, db, config };
}

/** What the worker's export leaves behind, as far as finding it goes. */
function fakeExport(dir: string): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), Buffer.alloc(16));
}

function trainedVersion(db: ReturnType<typeof setup>['db'], dataDir: string) {
  const dir = newVersionDir(dataDir);
  fakeExport(join(dir, 'model'));
  return registerVersion(db, dataDir, dir, {
    base: 'tiny',
    baseRepo: null,
    baseCommit: null,
    evalLoss: 1,
    baseEvalLoss: 2,
    score: null,
    styleMatch: null,
    metrics: {},
    data: {},
  });
}

describe('version 0: the base model export', () => {
  it('model pull registers the export as version 0, apart from the trained versions', async () => {
    const { dataDir, baseDir, db } = setup();
    fakeExport(baseOnnxDir(dataDir, baseDir)); // exported already: no worker run needed
    const dir = await exportBaseVersion(
      db,
      dataDir,
      { dir: baseDir, repo: 'test-org/tiny', commit: 'c'.repeat(40) },
      () => {
        throw new Error('the export exists: the interpreter must not be looked up');
      },
    );
    const v0 = baseVersion(db);
    console.log(`version 0: ${JSON.stringify({ id: v0?.id, status: v0?.status, base: v0?.base, dir: v0?.dir })}`);
    expect(v0).toMatchObject({ id: BASE_VERSION_ID, status: 'base', base: baseDir, base_repo: 'test-org/tiny', dir });
    // Not a trained version: model list, the report, rollback and the daemon's "last training" skip it.
    expect(listVersions(db)).toEqual([]);
    expect(latestVersion(db)).toBeUndefined();
    expect(getVersion(db, 0)).toBeUndefined();
    // `model promote 0` says what version 0 is and how to draft with it.
    expect(() => promote(db, 0)).toThrow(/version 0 is the base model/);
    expect(nextVersionId(db)).toBe(1);
    const v1 = trainedVersion(db, dataDir);
    expect(v1.id).toBe(1);
    expect(listVersions(db).map((v) => v.id)).toEqual([1]);
    expect(baseVersion(db)?.dir).toBe(dir);
  });

  it('a pull of another base model replaces version 0; a missing export is not offered', async () => {
    const { root, dataDir, baseDir, db } = setup();
    fakeExport(baseOnnxDir(dataDir, baseDir));
    await exportBaseVersion(db, dataDir, { dir: baseDir, repo: null, commit: null }, NO_PYTHON);
    expect(registeredBaseExport(db, baseDir)).toBe(baseOnnxDir(dataDir, baseDir));
    const other = join(root, 'other-base');
    mkdirSync(other);
    fakeExport(baseOnnxDir(dataDir, other));
    await exportBaseVersion(db, dataDir, { dir: other, repo: null, commit: null }, NO_PYTHON);
    expect(baseVersion(db)?.base).toBe(other);
    expect(registeredBaseExport(db, baseDir)).toBeNull(); // version 0 is the other model's now
    expect(registeredBaseExport(db, other)).toBe(baseOnnxDir(dataDir, other));
    // The export folder removed by hand: not offered (drafting would export it again).
    rmSync(baseOnnxDir(dataDir, other), { recursive: true });
    expect(registeredBaseExport(db, other)).toBeNull();
  });

  it('drafting takes version 0 without running the worker', async () => {
    const { dataDir, baseDir, db, config } = setup();
    fakeExport(baseOnnxDir(dataDir, baseDir));
    await exportBaseVersion(db, dataDir, { dir: baseDir, repo: null, commit: null }, NO_PYTHON);
    // train.python does not exist: an export attempt would fail with NO_TORCH.
    const chosen = await currentModelDir(db, config);
    expect(chosen).toEqual({ dir: baseOnnxDir(dataDir, baseDir), mode: 'cold_start', version: null });
    expect(currentModelKey(db, config)).toBe(`base:${baseDir}`);
    // A promoted trained version wins over version 0.
    const v1 = trainedVersion(db, dataDir);
    promote(db, v1.id);
    expect(await currentModelDir(db, config)).toMatchObject({ mode: 'model', version: 1 });
  });

  it('a store from before (no version 0) registers an export drafting made earlier, without Python', async () => {
    const { dataDir, baseDir, db, config } = setup();
    fakeExport(baseOnnxDir(dataDir, baseDir)); // drafting exported here before `model pull` did
    expect(baseVersion(db)).toBeUndefined();
    expect(await currentModelDir(db, config)).toMatchObject({ dir: baseOnnxDir(dataDir, baseDir), mode: 'cold_start' });
    expect(baseVersion(db)?.base).toBe(baseDir);
  });

  it('a store from before with no export at all exports once (here: fails, with the worker’s typed error)', async () => {
    const { db, config } = setup();
    const failure = await currentModelDir(db, config).catch((err: unknown) => err);
    console.log(`no version 0, no export, no Python: ${(failure as Error).message.split('\n')[0]}`);
    expect(failure).toBeInstanceOf(WorkerError);
    expect((failure as WorkerError).code).toBe('NO_TORCH');
    expect(baseVersion(db)).toBeUndefined(); // nothing registered for a failed export
  });
});
