// model prune and the registry around it: which versions keep their merged model, that the
// promoted one is never touched, that a dry run removes nothing, and that rollback and promote
// skip or refuse a pruned version. A real SQLite store and real folders; no model is trained.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  hasOnnxModel,
  listVersions,
  newVersionDir,
  promote,
  pruneVersions,
  registerVersion,
  retirePromoted,
  rollback,
} from '../../src/model/registry.js';
import { migrate, openStore } from '../../src/store/db.js';

/** A store with `n` registered versions, each with an ONNX model of `size` bytes and an adapter. */
function storeWithVersions(n: number, size = 1000) {
  const dataDir = mkdtempSync(join(tmpdir(), 'understudy-prune-'));
  const db = openStore(join(dataDir, 'understudy.db'));
  migrate(db);
  for (let i = 0; i < n; i++) {
    const dir = newVersionDir(dataDir);
    mkdirSync(join(dir, 'model', 'onnx'), { recursive: true });
    mkdirSync(join(dir, 'adapter'), { recursive: true });
    writeFileSync(join(dir, 'model', 'onnx', 'model.onnx'), Buffer.alloc(size));
    writeFileSync(join(dir, 'model', 'onnx', 'model.onnx_data'), Buffer.alloc(size * 2));
    writeFileSync(join(dir, 'adapter', 'adapter_model.safetensors'), Buffer.alloc(10));
    registerVersion(db, dataDir, dir, {
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
  return { db, dataDir };
}

describe('model prune', () => {
  it('keeps the promoted version and the one rollback returns to, frees the rest, keeps adapters', () => {
    const { db } = storeWithVersions(5);
    for (const id of [1, 2, 4]) promote(db, id); // 1, 2 retired; 4 promoted; 3 and 5 candidates
    const dry = pruneVersions(db, { keep: 2, dryRun: true });
    expect(dry.pruned.map((p) => p.id)).toEqual([5, 3, 1]);
    expect(dry.freedBytes).toBe(3 * 3000);
    expect(listVersions(db).every(hasOnnxModel)).toBe(true); // a dry run removes nothing

    const r = pruneVersions(db, { keep: 2 });
    console.log('prune:', JSON.stringify(r));
    expect(r.kept).toEqual([
      { id: 4, status: 'promoted', why: 'promoted' },
      { id: 2, status: 'retired', why: 'previous' },
    ]);
    expect(r.pruned.map((p) => p.id)).toEqual([5, 3, 1]);
    expect(r.freedBytes).toBe(9000);
    const after = listVersions(db);
    expect(after.filter(hasOnnxModel).map((v) => v.id)).toEqual([2, 4]);
    expect(after.every((v) => existsSync(join(v.dir, 'adapter', 'adapter_model.safetensors')))).toBe(true);
    expect(pruneVersions(db, { keep: 2 }).pruned).toEqual([]); // idempotent
  });

  it('never removes the promoted version, even with --keep 1, and rollback skips pruned versions', () => {
    const { db } = storeWithVersions(4);
    for (const id of [1, 2, 3, 4]) promote(db, id);
    const r = pruneVersions(db, { keep: 1 });
    expect(r.kept).toEqual([{ id: 4, status: 'promoted', why: 'promoted' }]);
    expect(r.pruned.map((p) => p.id)).toEqual([3, 2, 1]);
    expect(hasOnnxModel(listVersions(db).find((v) => v.id === 4) as never)).toBe(true);
    expect(() => rollback(db)).toThrow(/nothing to roll back to/);
    expect(() => promote(db, 3)).toThrow(/pruned/);
  });

  it('without a promoted version keeps the newest, and refuses keep < 1', () => {
    const { db } = storeWithVersions(3);
    const r = pruneVersions(db, { keep: 2 });
    expect(r.kept.map((k) => [k.id, k.why])).toEqual([
      [3, 'newest'],
      [2, 'newest'],
    ]);
    expect(r.pruned.map((p) => p.id)).toEqual([1]);
    expect(() => pruneVersions(db, { keep: 0 })).toThrow(RangeError);
  });

  it('rollback --to-base retires the promoted version: no version is promoted, promote brings it back', () => {
    const { db } = storeWithVersions(2);
    promote(db, 2);
    expect(retirePromoted(db)?.id).toBe(2);
    expect(listVersions(db).some((v) => v.status === 'promoted')).toBe(false);
    expect(retirePromoted(db)).toBeUndefined();
    promote(db, 2);
    expect(listVersions(db).find((v) => v.id === 2)?.status).toBe('promoted');
  });
});
