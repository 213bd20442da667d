// `understudy model pull`: downloads a base model (config, tokenizer, safetensors) from the
// Hugging Face hub into the data dir. The only code in Understudy that reaches the internet,
// and only when the user runs it.
//
// Listing and URLs come from @huggingface/hub; the transfer itself is a streamed fetch written
// here, because the library's downloadFile() returns the whole file as one in-memory Blob
// (gigabytes for a model) and cannot resume an interrupted download.
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { listCommits, listFiles } from '@huggingface/hub';
import { baseModelProblem } from '../config/base-model-name.js';
import { findPreset } from '../config/presets.js';
import { type ErrorKind, UnderstudyError } from '../errors.js';
import { ensurePrivateDir } from '../store/db.js';

export const HUB_URL = 'https://huggingface.co';

export interface PullProgress {
  file: string;
  fileBytes: number;
  fileTotal: number;
  bytes: number;
  total: number;
}

export interface PullOptions {
  /** A preset id (see `model list --presets`) or a repository id like "Qwen/Qwen2.5-0.5B-Instruct". */
  model: string;
  dataDir: string;
  hubUrl?: string;
  revision?: string;
  /** Hugging Face token for gated models; never written anywhere. */
  token?: string;
  /**
   * Where `model` came from: the command line (default; a name the hub does not know is a usage error,
   * exit 64) or the config's train.base_model (a config error, exit 78).
   */
  nameFrom?: 'argument' | 'config';
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
}

export interface ModelManifest {
  repo: string;
  preset: string | null;
  revision: string;
  /** The exact commit downloaded. */
  commit: string;
  files: { path: string; size: number; sha256?: string; gitSha1?: string }[];
  pulledAt: string;
}

/**
 * UNKNOWN_MODEL: the hub has no such repository (or, without a token, will not say: HTTP 401);
 * BAD_MODEL_NAME: the name is neither a preset nor a repository id (an Ollama name, a GGUF file, no "owner/").
 */
export type PullErrorCode =
  | 'UNKNOWN_MODEL'
  | 'BAD_MODEL_NAME'
  | 'NO_SAFETENSORS'
  | 'NETWORK'
  | 'VERIFY_FAILED'
  | 'HTTP';

/** The fix for a name that names no model, by where the name was written. */
export function unknownModelFix(nameFrom: 'argument' | 'config'): string {
  return nameFrom === 'config'
    ? 'set train.base_model in the config to a preset (`understudy model presets` lists them) or a Hugging Face repository id that exists, like "Qwen/Qwen2.5-0.5B-Instruct"'
    : 'name a preset (`understudy model presets` lists them) or a Hugging Face repository id that exists, like "Qwen/Qwen2.5-0.5B-Instruct"';
}

/**
 * Kind and fix of each pull failure; only an unreachable hub is worth retrying as such (exit 75). A name
 * that names no model is not a failure of the pull but of what was asked: its kind comes from where the
 * name was written (`usage` from the command line, `config` from train.base_model), see nameKind().
 */
const PULL_ERRORS: Record<PullErrorCode, { kind: ErrorKind; fix: string }> = {
  UNKNOWN_MODEL: { kind: 'usage', fix: unknownModelFix('argument') },
  BAD_MODEL_NAME: { kind: 'usage', fix: unknownModelFix('argument') },
  NO_SAFETENSORS: { kind: 'final', fix: 'choose a model published with .safetensors weights' },
  NETWORK: { kind: 'temporary', fix: 'check the network connection and run the pull again; it resumes' },
  VERIFY_FAILED: { kind: 'final', fix: 'run the pull again; it downloads the damaged file anew' },
  HTTP: { kind: 'final', fix: 'run the pull again later; for a gated or private model set HF_TOKEN' },
};

/**
 * A download of a base model failed; the message says what happened and what to do. UNKNOWN_MODEL and
 * BAD_MODEL_NAME carry their fix as `fix` (printed on its own line) and their kind from `nameFrom`.
 */
export class PullError extends UnderstudyError {
  declare readonly code: PullErrorCode;
  constructor(code: PullErrorCode, message: string, cause?: unknown, nameFrom?: 'argument' | 'config') {
    const named = code === 'UNKNOWN_MODEL' || code === 'BAD_MODEL_NAME';
    const from = nameFrom ?? 'argument';
    super(code, named ? (from === 'config' ? 'config' : 'usage') : PULL_ERRORS[code].kind, message, {
      fix: named ? unknownModelFix(from) : PULL_ERRORS[code].fix,
      fixInMessage: !named,
      cause,
    });
    this.name = 'PullError';
  }
}

/** Files a model needs to be trained and run: config, tokenizer, weights (safetensors only). */
const WANTED =
  /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|chat_template\.jinja|tokenizer\.model|vocab\.json|merges\.txt|added_tokens\.json|LICEN[CS]E.*|README\.md|model(-\d+-of-\d+)?\.safetensors|model\.safetensors\.index\.json)$/;

export function modelDirName(repo: string): string {
  return repo.replace(/[^A-Za-z0-9._-]+/g, '--');
}

export function baseModelDir(dataDir: string, repo: string): string {
  return join(dataDir, 'models', 'base', modelDirName(repo));
}

export async function pullModel(
  options: PullOptions,
): Promise<{ dir: string; manifest: ModelManifest; downloaded: number }> {
  const preset = findPreset(options.model);
  const repo = preset?.repo ?? options.model;
  const nameFrom = options.nameFrom ?? 'argument';
  const where = nameFrom === 'config' ? 'train.base_model ' : '';
  const problem = baseModelProblem(options.model);
  // Why a GGUF file or Ollama name cannot be used; the fix line says what to give instead.
  if (problem)
    throw new PullError(
      'BAD_MODEL_NAME',
      `${where}${problem.message}: Understudy trains Hugging Face-layout models (config.json, tokenizer, *.safetensors); pull the model it was made from`,
      undefined,
      nameFrom,
    );
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) {
    throw new PullError(
      'BAD_MODEL_NAME',
      `${where}"${options.model}" is neither a preset nor a Hugging Face repository id (owner/name)`,
      undefined,
      nameFrom,
    );
  }
  const hubUrl = (options.hubUrl ?? HUB_URL).replace(/\/+$/, '');
  const revision = options.revision ?? preset?.revision ?? 'main';
  const credentials = options.token ? { accessToken: options.token } : {};
  let commit: string;
  let entries: { path: string; size: number; oid?: string; lfs?: { oid: string } }[];
  try {
    commit = revision;
    for await (const c of listCommits({ repo, revision, hubUrl, batchSize: 1, ...credentials })) {
      commit = c.oid;
      break;
    }
    entries = [];
    for await (const f of listFiles({ repo, revision: commit, hubUrl, ...credentials })) {
      if (f.type === 'file' && WANTED.test(f.path)) entries.push(f);
    }
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    // The hub answers 401, not 404, for a repository it does not have when no token is sent.
    if (status === 404 || status === 401)
      throw new PullError(
        'UNKNOWN_MODEL',
        `${where}${repo} (revision ${revision}) was not found on ${hubUrl}${status === 401 ? ' (or it is gated or private: set HF_TOKEN)' : ''}`,
        err,
        nameFrom,
      );
    throw new PullError('NETWORK', unreachable(hubUrl, repo, err), err);
  }
  if (!entries.some((e) => e.path.endsWith('.safetensors'))) {
    throw new PullError(
      'NO_SAFETENSORS',
      `${repo} has no .safetensors weights; Understudy loads safetensors only (pytorch_model.bin can execute code when loaded)`,
    );
  }
  const dir = baseModelDir(options.dataDir, repo);
  ensurePrivateDir(dir);
  const total = entries.reduce((n, e) => n + e.size, 0);
  let bytes = 0;
  let downloaded = 0;
  const files: ModelManifest['files'] = [];
  for (const entry of entries) {
    options.signal?.throwIfAborted();
    const target = join(dir, entry.path);
    const expected: { size: number; sha256?: string; gitSha1?: string } = {
      size: entry.size,
      ...(entry.lfs ? { sha256: entry.lfs.oid } : entry.oid ? { gitSha1: entry.oid } : {}),
    };
    if (!(existsSync(target) && (await verify(target, expected)))) {
      const url = `${hubUrl}/${repo}/resolve/${encodeURIComponent(commit)}/${entry.path}`;
      await download(
        url,
        target,
        entry.size,
        options.token,
        (n) => options.onProgress?.({ file: entry.path, fileBytes: n, fileTotal: entry.size, bytes: bytes + n, total }),
        options.signal,
      );
      if (!(await verify(target, expected))) {
        renameSync(target, `${target}.corrupt`);
        throw new PullError(
          'VERIFY_FAILED',
          `${entry.path} does not match its published ${expected.sha256 ? 'sha256' : 'size/hash'}; it was moved aside, run the pull again`,
        );
      }
      downloaded++;
    }
    bytes += entry.size;
    options.onProgress?.({ file: entry.path, fileBytes: entry.size, fileTotal: entry.size, bytes, total });
    files.push({ path: entry.path, ...expected });
  }
  const manifest: ModelManifest = {
    repo,
    preset: preset?.id ?? null,
    revision,
    commit,
    files,
    pulledAt: new Date().toISOString(),
  };
  writeFileSync(join(dir, 'understudy-manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return { dir, manifest, downloaded };
}

/** The manifest of a pulled model, or null when the folder holds no complete pull. */
export function readManifest(dir: string): ModelManifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'understudy-manifest.json'), 'utf8')) as ModelManifest;
  } catch {
    return null;
  }
}

/** Streams a file into `target.part`, resuming with an HTTP Range request, then renames it. */
async function download(
  url: string,
  target: string,
  size: number,
  token: string | undefined,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const part = `${target}.part`;
  mkdirSync(join(target, '..'), { recursive: true });
  let have = existsSync(part) ? statSync(part).size : 0;
  if (have > size) have = 0;
  if (have < size || size === 0) {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: {
          ...(have > 0 ? { Range: `bytes=${have}-` } : {}),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        redirect: 'follow',
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new PullError('NETWORK', `${unreachable(url, null, err)}; run the pull again to resume`, err);
    }
    if (!response.ok || !response.body)
      throw new PullError('HTTP', `download of ${url} failed: HTTP ${response.status}`);
    // A server that ignores Range answers 200 with the whole file: start over.
    const resumed = response.status === 206;
    if (!resumed) have = 0;
    let received = have;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        onBytes(received);
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(response.body as never),
        counter,
        createWriteStream(part, { flags: resumed ? 'a' : 'w', mode: 0o600 }),
      );
    } catch (err) {
      throw new PullError(
        'NETWORK',
        `download of ${url} was interrupted at ${received} of ${size} bytes: ${(err as Error).message}; run the pull again to resume`,
        err,
      );
    }
  }
  renameSync(part, target);
}

/** Error codes of a machine with no network (or no route, no DNS) rather than a server's refusal. */
const OFFLINE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENETDOWN',
]);

/**
 * What a failed request to `url` means for the user: the host it tried, the low-level reason
 * (fetch says only "fetch failed"; the reason is in its cause), and, when there is no network,
 * how to bring a model in by hand (`repo`: the repository asked for, when known).
 */
function unreachable(url: string, repo: string | null, err: unknown): string {
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  // fetch's own message is "fetch failed"; the reason is in its cause (an errno code, or a message).
  let cause: unknown = err;
  let code: string | undefined;
  let innermost = (err as Error).message;
  for (let depth = 0; cause && depth < 5; depth++) {
    code ??= (cause as { code?: string }).code;
    if ((cause as Error).message) innermost = (cause as Error).message;
    if (code && OFFLINE.has(code)) break;
    cause = (cause as { cause?: unknown }).cause;
  }
  const reason = code && !code.startsWith('UND_ERR') ? code : innermost;
  if (!code || !OFFLINE.has(code)) return `cannot reach ${host} (${url}): ${reason}`;
  const what = repo ?? 'the repository';
  return (
    `cannot reach ${host} (${reason}): this machine has no network connection to it (DNS, route or firewall). ` +
    `Retry with a connection, or bring the model in by hand: on a machine with network run ` +
    `\`huggingface-cli download ${what} --local-dir DIR\` (or \`git clone https://huggingface.co/${what}\` with git-lfs), ` +
    'copy DIR here, and set base_model = "/absolute/path/to/DIR" in [train]'
  );
}

/** Size, then sha256 (LFS files) or the git blob hash (small files), as the hub publishes them. */
async function verify(path: string, expected: { size: number; sha256?: string; gitSha1?: string }): Promise<boolean> {
  if (statSync(path).size !== expected.size) return false;
  if (expected.sha256) return (await hashFile(path, 'sha256')) === expected.sha256;
  if (expected.gitSha1) return (await hashFile(path, 'sha1', `blob ${expected.size}\0`)) === expected.gitSha1;
  return true;
}

async function hashFile(path: string, algorithm: 'sha256' | 'sha1', prefix = ''): Promise<string> {
  const hash = createHash(algorithm);
  if (prefix) hash.update(prefix);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
