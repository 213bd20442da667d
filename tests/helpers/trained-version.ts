// One promoted persona model per test run, for the tests that need "a version that learned the
// persona" but do not test the learning (drafting, the daemon under faults): the first caller
// trains it with `understudy train` on its own synced account and keeps a copy of the promoted
// version; every later caller registers and promotes that copy in its own store instead of
// training for minutes again. train.test.ts still trains and checks the learning itself.
//
// The copy lives in os.tmpdir(), keyed by a hash of everything the training reads (the trainer,
// src/, the tiny model, the [train] section), and is made under a lock, so two test workers never
// train it at the same time and a changed trainer or dataset never reuses a stale model.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { newVersionDir, promote, promotedVersion, registerVersion } from '../../src/model/registry.js';
import { openStore } from '../../src/store/db.js';
import { runCli, type TestAccount } from './account.js';
import { tinyModel, tinyTrainSection } from './tiny-model.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Steps of the shared training (UNDERSTUDY_TEST_PERSONA_STEPS overrides, as for train.test.ts). */
const PERSONA_STEPS = Number(process.env.UNDERSTUDY_TEST_PERSONA_STEPS ?? 600);

/**
 * The [train] section of the shared version: the tiny model, the settings that teach it the
 * persona (tinyTrainSection), 8 held-out replies for its evaluation.
 */
export function personaTrainSection(): string {
  return tinyTrainSection(tinyModel(), { max_steps: PERSONA_STEPS, eval_samples: 8 });
}

/** What `sharedPersonaVersion` did: trained here (with the CLI's output) or reused the copy. */
export type SharedVersion = { trained: true; stdout: string; stderr: string } | { trained: false; version: number };

/**
 * Gives `account` (synced already, its config's [train] section = `trainSection`) a promoted
 * version trained on the persona mailbox: trains it with `understudy train` when no copy for
 * these inputs exists yet (and keeps one), else registers and promotes the copy.
 * @param mailbox what was seeded, e.g. "persona-96": part of the key (the data trained on).
 * @throws Error when the training fails or does not promote (the CLI's stderr in the message).
 */
export async function sharedPersonaVersion(
  account: TestAccount,
  trainSection: string,
  mailbox: string,
): Promise<SharedVersion> {
  const cache = sharedVersionDir(trainSection, mailbox);
  const release = await lock(`${cache}.lock`);
  try {
    if (existsSync(join(cache, 'row.json'))) return { trained: false, version: adopt(account, cache) };
    const r = await runCli(['--config', account.configFile, 'train'], {}, 1_100_000);
    if (r.code !== 0 || !/PROMOTED/.test(r.stdout))
      throw new Error(`understudy train exited ${r.code} without promoting:\n${r.stdout}\n${r.stderr}`);
    keep(account, cache);
    return { trained: true, stdout: r.stdout, stderr: r.stderr };
  } finally {
    release();
  }
}

/** Where the copy for these inputs is kept (a folder with version/ and row.json once made). */
export function sharedVersionDir(trainSection: string, mailbox: string): string {
  return join(tmpdir(), `understudy-trained-${inputsHash(trainSection, mailbox)}-${process.getuid?.() ?? 0}`);
}

/** Copies the promoted version (folder and row) of `account` to `cache`, atomically. */
function keep(account: TestAccount, cache: string): void {
  const db = openStore(account.config.dbPath);
  try {
    const v = promotedVersion(db);
    if (!v) throw new Error('train said PROMOTED but no version is promoted');
    const tmp = `${cache}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(v.dir, join(tmp, 'version'), { recursive: true });
    writeFileSync(join(tmp, 'row.json'), JSON.stringify(v));
    rmSync(cache, { recursive: true, force: true });
    renameSync(tmp, cache);
  } finally {
    db.close();
  }
}

/** Registers a copy of the cached version in `account`'s store and promotes it; returns its id. */
function adopt(account: TestAccount, cache: string): number {
  const row = JSON.parse(readFileSync(join(cache, 'row.json'), 'utf8'));
  const db = openStore(account.config.dbPath);
  try {
    const dir = newVersionDir(account.config.dataDir);
    cpSync(join(cache, 'version'), dir, { recursive: true });
    const v = registerVersion(db, account.config.dataDir, dir, {
      base: row.base,
      baseRepo: row.base_repo,
      baseCommit: row.base_commit,
      evalLoss: row.eval_loss,
      baseEvalLoss: row.base_eval_loss,
      score: row.score,
      styleMatch: row.style_match,
      metrics: JSON.parse(row.metrics),
      // The examples count in here is what the daemon's schedule counts new examples from: the
      // same mailbox gives the same count.
      data: JSON.parse(row.data),
    });
    return promote(db, v.id).id;
  } finally {
    db.close();
  }
}

/** A hash of the trainer, src/, the tiny model's files, the settings and the mailbox. */
function inputsHash(trainSection: string, mailbox: string): string {
  const h = createHash('sha256');
  h.update(`${trainSection}\0${mailbox}\0`);
  const files = [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'models/trainer'))].filter((f) =>
    /\.(ts|py|json)$/.test(f),
  );
  const model = /base_model = "([^"]+)"/.exec(trainSection)?.[1];
  if (model && existsSync(model)) files.push(...walk(model));
  for (const f of files.sort()) {
    h.update(`${relative(ROOT, f)}\0`);
    h.update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === '__pycache__' || name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/**
 * A lock between test workers (processes): a folder made atomically, with the holder's pid in
 * it; a holder that died leaves a lock the next waiter takes over. Resolves to its release.
 */
async function lock(path: string): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (!alive(path)) rmSync(path, { recursive: true, force: true });
    else await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Whether the lock's holder still runs (a lock without a pid yet is being taken: alive). */
function alive(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(path, 'pid'), 'utf8'));
  } catch {
    const made = statSync(path, { throwIfNoEntry: false });
    return made !== undefined && Date.now() - made.mtimeMs < 10_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
