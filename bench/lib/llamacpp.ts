// node-llama-cpp, the reference for the generation benchmark and the GGUF parity test. It is not a
// dependency of the project (its prebuilt CUDA/Vulkan binaries add ~700 MB to an install): the
// benchmark installs the pinned version on demand into bench/.reference/ (git-ignored), and the
// tests use it only when it is there.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const LLAMACPP_VERSION = '3.21.1';
export const REFERENCE_DIR = resolve(import.meta.dirname, '../.reference/node-llama-cpp');
const PACKAGE_DIR = join(REFERENCE_DIR, 'node_modules', 'node-llama-cpp');

/** True when the pinned node-llama-cpp is installed in bench/.reference/. */
export function referenceInstalled(): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version === LLAMACPP_VERSION && existsSync(join(PACKAGE_DIR, 'dist', 'index.js'));
  } catch {
    return false;
  }
}

/** Installs node-llama-cpp@LLAMACPP_VERSION into bench/.reference/ unless it is already there. */
export function installReference(log: (line: string) => void): void {
  if (referenceInstalled()) return;
  log(`installing node-llama-cpp@${LLAMACPP_VERSION} into ${REFERENCE_DIR} (once; ~700 MB with its prebuilt binaries)`);
  mkdirSync(REFERENCE_DIR, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(
    npm,
    [
      'install',
      '--prefix',
      REFERENCE_DIR,
      '--no-save',
      '--no-audit',
      '--no-fund',
      `node-llama-cpp@${LLAMACPP_VERSION}`,
    ],
    { stdio: ['ignore', 2, 2] }, // npm's output to stderr: stdout carries only the benchmark's JSON lines
  );
  if (r.status !== 0 || !referenceInstalled()) {
    throw new Error(`npm install node-llama-cpp@${LLAMACPP_VERSION} failed (exit ${r.status ?? r.signal})`);
  }
}

export interface ReferenceRun {
  tokens: number[];
  /** From the call to the first new token (the prompt's forward pass and one sampling). */
  prefillMs: number;
  /** Time of each new token since the call. */
  times: number[];
  /** CPU time the llama.cpp process used for it (all threads). */
  cpuMs: number;
}

/**
 * A GGUF model loaded in llama.cpp on the CPU, in a child process of its own (llamacpp-child.mjs):
 * its thread pool never competes with onnxruntime's inside one process.
 */
export class ReferenceModel {
  /** Callers waiting for a reply line, in order. */
  private readonly pending: { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.pending.shift()?.resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      const err = new Error(`the llama.cpp process exited (${signal ?? code}): ${this.stderr.trim()}`);
      for (const p of this.pending.splice(0)) p.reject(err);
    });
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  /** `exactF32`: keys and values in f32 and no flash attention, so that an f32 model computes what
   * the f32 ONNX model computes (llama.cpp's defaults keep them in f16). */
  static async load(modelPath: string, options: { threads: number; exactF32: boolean }): Promise<ReferenceModel> {
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, 'llamacpp-child.mjs'),
        join(PACKAGE_DIR, 'dist', 'index.js'),
        modelPath,
        String(options.threads),
        options.exactF32 ? '1' : '0',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    // A spawn failure rejects whoever waits for a reply (through 'exit' or here), never crashes.
    child.on('error', (err) => child.emit('exit', null, `spawn failed: ${err.message}`));
    child.stdin.on('error', () => {});
    const model = new ReferenceModel(child);
    await model.next(); // {"ready":true} once the model is loaded
    return model;
  }

  private async call<T>(request: Record<string, unknown>): Promise<T> {
    const reply = this.next();
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    const r = await reply;
    if (typeof r.error === 'string') throw new Error(`llama.cpp: ${r.error}`);
    return r as T;
  }

  tokenize(text: string): Promise<number[]> {
    return this.call<{ ids: number[] }>({ op: 'tokenize', text }).then((r) => r.ids);
  }

  /** Greedy decoding of exactly `count` new tokens after `promptIds` in a fresh context (end-of-turn tokens do not stop it). */
  async greedy(promptIds: readonly number[], count: number): Promise<ReferenceRun> {
    const r = await this.call<{ tokens: number[]; times: number[]; cpuMs: number }>({
      op: 'greedy',
      ids: promptIds,
      count,
    });
    return { tokens: r.tokens, times: r.times, prefillMs: r.times[0] ?? 0, cpuMs: r.cpuMs };
  }

  /**
   * log p(next token) after `promptIds` for the `top` most likely tokens, from llama.cpp's full
   * softmax (temperature 1, no top-k/top-p/min-p): [token, log p] pairs, most likely first.
   */
  async nextLogProbs(promptIds: readonly number[], top: number): Promise<[number, number][]> {
    return (await this.call<{ pairs: [number, number][] }>({ op: 'logprobs', ids: promptIds, top })).pairs;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}
