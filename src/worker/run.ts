// Runs the Python worker (models/trainer/worker.py) and reads its line protocol: one JSON event
// per line on stdout, logs on stderr. The config goes over stdin, never on the command line.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../config/logger.js';
import { isWorkerErrorCode, WorkerError } from './errors.js';
import type { WorkerCommand, WorkerEvent } from './protocol.js';
import { type SandboxMode, sandboxCommand, workerSandbox, workerSandboxMode } from './sandbox.js';

export interface WorkerRun {
  /** Resolves with the final "done" event; rejects with a WorkerError. */
  result: Promise<WorkerEvent>;
  /** Asks the worker to stop (SIGINT: it checkpoints, then exits). */
  cancel(): void;
  pid: number | undefined;
}

/** The worker script: found beside the bundle in an install, or in the source tree. */
export function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    resolve(here, '../models/trainer/worker.py'),
    resolve(here, '../../models/trainer/worker.py'),
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new WorkerError('INTERNAL', `models/trainer/worker.py not found near ${here}`);
}

export interface RunWorkerOptions {
  python: string;
  command: WorkerCommand;
  config: unknown;
  onEvent?: (e: WorkerEvent) => void;
  onLog?: (line: string) => void;
  /** Lower the worker's CPU priority so that training never slows drafting (Unix nice). */
  nice?: number;
  env?: NodeJS.ProcessEnv;
  /** train.sandbox: `auto` runs the worker without network access (./sandbox.ts); default: setWorkerSandboxMode's. */
  sandbox?: SandboxMode;
  /** Gets the one line said when the worker runs unconfined (default: logged at info on stderr). */
  onNotice?: (message: string) => void;
}

/**
 * Starts `python models/trainer/worker.py COMMAND --config -` with `options.config` as JSON on
 * stdin, and reads its events. The returned run's `result` resolves with the "done" event, or
 * rejects with a WorkerError: the worker's own code and message, NO_TORCH when the interpreter
 * cannot start, CANCELLED after cancel(), WORKER_FAILED (with the last lines of stderr) when it
 * died without an error line.
 * @throws WorkerError INTERNAL when models/trainer/worker.py is not found; NO_NICE when
 *   `options.nice` is set and `nice` is not on the worker's PATH.
 */
export function runWorker(options: RunWorkerOptions): WorkerRun {
  const script = workerScript();
  const args = [script, options.command, '--config', '-'];
  const env = workerEnv(options.env ?? process.env);
  // Checked here: a missing `nice` otherwise fails the spawn (or the sandbox's exec) and reads as
  // the Python interpreter not starting (NO_TORCH, "install PyTorch"), which is the wrong fix.
  if (options.nice && !onPath('nice', env.PATH))
    throw new WorkerError(
      'NO_NICE',
      `nice is not found on PATH, so the training worker cannot start at lower priority (train.nice = ${options.nice})`,
    );
  const [cmd, argv] = options.nice
    ? ['nice', ['-n', String(options.nice), options.python, ...args]]
    : [options.python, args];
  const cwd = join(dirname(script), '..');
  // The privilege split: the worker gets the GPU, never the network (./sandbox.ts).
  const sandbox = workerSandbox(options.sandbox ?? workerSandboxMode(), options.onNotice ?? logNotice);
  const wrapped = sandboxCommand(sandbox, cmd as string, argv as string[], { cwd, env });
  const child = spawn(wrapped.command, wrapped.args, { stdio: ['pipe', 'pipe', 'pipe'], cwd, env });
  // A worker that dies before reading its config (no interpreter inside the sandbox, a crash at
  // import) closes the pipe: the EPIPE is not the failure to report — its exit code and stderr
  // are, below — and an 'error' with no listener would kill this process.
  child.stdin.on('error', () => {});
  child.stdin.end(JSON.stringify(options.config));
  const stderrTail: string[] = [];
  let cancelled = false;
  const result = new Promise<WorkerEvent>((resolvePromise, reject) => {
    let done: WorkerEvent | null = null;
    let error: WorkerEvent | null = null;
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        let event: WorkerEvent;
        try {
          event = JSON.parse(line) as WorkerEvent;
        } catch {
          options.onLog?.(line);
          continue;
        }
        if (event.event === 'done') done = event;
        if (event.event === 'error') error = event;
        options.onEvent?.(event);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
        options.onLog?.(line);
      }
    });
    child.on('error', (err) =>
      reject(new WorkerError('NO_TORCH', `cannot start ${options.python}: ${err.message}`, err)),
    );
    child.on('close', (code, signal) => {
      if (code === 0 && !error) return resolvePromise(done ?? { event: 'done' });
      // Inside a sandbox the interpreter is exec'd by the wrapper: a missing one is its exit code
      // (unshare: 127 not found, 126 not executable; systemd: 203, EXIT_EXEC), not a spawn error.
      if (sandbox.kind !== 'none' && !done && !error && [126, 127, 203].includes(code ?? -1))
        return reject(
          new WorkerError(
            'NO_TORCH',
            `cannot start ${options.python}${stderrTail.length ? `: ${stderrTail.at(-1)}` : ''}`,
          ),
        );
      // A code this side does not know (a newer worker) is still an error, reported as INTERNAL.
      if (error)
        return reject(
          new WorkerError(
            isWorkerErrorCode(error.code) ? error.code : 'INTERNAL',
            String(error.message ?? 'the worker failed'),
          ),
        );
      if (cancelled || code === 130)
        return reject(
          new WorkerError('CANCELLED', 'training was cancelled; the checkpoint is kept, continue with --resume'),
        );
      reject(
        new WorkerError(
          'WORKER_FAILED',
          `the training worker ${signal ? `was killed by ${signal}` : `exited with code ${code}`} without a result${stderrTail.length ? `:\n  ${stderrTail.slice(-5).join('\n  ')}` : ''}`,
        ),
      );
    });
  });
  return {
    result,
    pid: child.pid,
    cancel() {
      cancelled = true;
      // Under systemd the child is systemd-run: the signal goes to the worker's unit instead.
      if (!wrapped.interrupt) return void child.kill('SIGINT');
      const interrupter = spawn(wrapped.interrupt.command, wrapped.interrupt.args, { stdio: 'ignore' });
      interrupter.on('error', () => child.kill('SIGINT'));
    },
  };
}

/** The default for onNotice: one info line on stderr (the daemon's training child forwards it). */
function logNotice(message: string): void {
  createLogger({ level: 'info', destination: 2 }).info({ sandbox: 'none' }, message);
}

/**
 * The worker's environment: unbuffered output for the line protocol, and OpenMP threads that sleep
 * when idle (OMP_WAIT_POLICY=PASSIVE) unless the user chose otherwise. Spinning threads (the
 * default of PyTorch's OpenMP runtime) cost up to ten times the CPU when the cores are shared —
 * with the daemon drafting, or a second training — and the trainer runs in the background by design.
 */
function workerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PYTHONUNBUFFERED: '1', OMP_WAIT_POLICY: env.OMP_WAIT_POLICY ?? 'PASSIVE' };
}

/**
 * True when `command` is an executable file in one of `path`'s folders (PATH's format, the
 * platform's delimiter), as the spawn that follows would find it. Hand-written: a `which` child
 * costs a process start per training for a check of a few stat calls.
 */
export function onPath(command: string, path: string | undefined): boolean {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return true;
    } catch {
      // not here: the next folder
    }
  }
  return false;
}
