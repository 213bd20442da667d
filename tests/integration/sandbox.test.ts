// The privilege split, for real: the Python worker started by runWorker cannot open a socket (a
// loopback port that the same Python without the sandbox reaches), while the worker itself still
// runs; the trainer's unit properties and the daemon's unit pass systemd-analyze, with the scores.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSystemdUnit, servicePaths } from '../../src/cli/service-files.js';
import { runWorker } from '../../src/worker/run.js';
import {
  detectSandbox,
  sandboxCommand,
  setWorkerSandboxMode,
  TRAINER_UNIT_PROPERTIES,
} from '../../src/worker/sandbox.js';
import { TEST_PYTHON } from '../helpers/tiny-model.js';

const work = mkdtempSync(join(tmpdir(), 'understudy-sandbox-'));
/** Prints "connected" or the error's name, and exits 0 either way. */
const CONNECT = (port: number) =>
  `import socket\ntry:\n  socket.create_connection(("127.0.0.1", ${port}), timeout=5).close(); print("connected")\nexcept OSError as e:\n  print("refused:", e.__class__.__name__, e.errno)`;

let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('the worker sandbox', () => {
  const plan = detectSandbox();

  it('is available here (Linux: systemd, or unshare --net)', () => {
    console.log(JSON.stringify({ sandbox: plan.kind, reason: plan.reason }));
    expect(plan.kind, plan.reason).not.toBe('none');
  });

  it('takes the network away: the same Python reaches a loopback port outside, not inside', () => {
    const outside = spawnSync(TEST_PYTHON, ['-c', CONNECT(port)], { encoding: 'utf8' });
    expect(outside.stdout.trim(), outside.stderr).toBe('connected');
    const wrapped = sandboxCommand(plan, TEST_PYTHON, ['-c', CONNECT(port)], { cwd: work, env: process.env });
    const inside = spawnSync(wrapped.command, wrapped.args, { encoding: 'utf8', cwd: work });
    console.log(`inside the sandbox: ${inside.stdout.trim()}`);
    expect(inside.status, inside.stderr).toBe(0);
    expect(inside.stdout).toMatch(/^refused: /);
  });

  it('runWorker confines the worker it starts, and the worker still runs', async () => {
    // A "python" that first tries the port, then is the real interpreter running the worker.
    const probe = join(work, 'connect.py');
    writeFileSync(probe, CONNECT(port));
    const verdict = join(work, 'verdict.txt');
    const python = join(work, 'python-with-probe');
    writeFileSync(python, `#!/bin/sh\n"${TEST_PYTHON}" "${probe}" > "${verdict}"\nexec "${TEST_PYTHON}" "$@"\n`);
    chmodSync(python, 0o755);
    const done = await runWorker({ python, command: 'devices', config: {} }).result;
    expect(done.event).toBe('done');
    expect(readFileSync(verdict, 'utf8')).toMatch(/^refused: /);
    // train.sandbox = "off" (what the CLI sets from the config for the whole process): the same
    // worker reaches the port.
    setWorkerSandboxMode('off');
    try {
      await runWorker({ python, command: 'devices', config: {} }).result;
    } finally {
      setWorkerSandboxMode('auto');
    }
    expect(readFileSync(verdict, 'utf8').trim()).toBe('connected');
  }, 120_000);

  it('a Python that does not exist is still NO_TORCH (the wrapper, not spawn, finds it missing)', async () => {
    const missing = join(work, 'no-such-python');
    await expect(runWorker({ python: missing, command: 'devices', config: {} }).result).rejects.toMatchObject({
      code: 'NO_TORCH',
    });
  });

  it('cancel() still reaches the worker through the sandbox (SIGINT → CANCELLED)', async () => {
    const python = join(work, 'python-sleeper');
    // Sleeps like a long training step; on SIGINT it exits 130 as the worker does.
    writeFileSync(
      python,
      `#!/bin/sh\nexec "${TEST_PYTHON}" -c 'import signal,sys,time\nsignal.signal(signal.SIGINT, lambda *a: sys.exit(130))\nprint("{\\"event\\": \\"start\\"}", flush=True)\ntime.sleep(60)'\n`,
    );
    chmodSync(python, 0o755);
    let started!: () => void;
    const ready = new Promise<void>((r) => {
      started = r;
    });
    const run = runWorker({ python, command: 'devices', config: {}, onEvent: () => started() });
    await ready;
    const t0 = Date.now();
    run.cancel();
    await expect(run.result).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 60_000);
});

describe('systemd units', () => {
  const analyze = (unit: string, name: string) => {
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', unit], { encoding: 'utf8' });
    return Number(security.stdout.match(new RegExp(`Overall exposure level for ${name}: ([\\d.]+)`))?.[1]);
  };

  it("the daemon's unit hides devices (PrivateDevices) and stays ≤ 2.0", () => {
    const unit = join(work, 'understudy.service');
    const text = renderSystemdUnit(servicePaths('/home/ann/.config/understudy/config.toml', '/home/ann/.data/us'));
    writeFileSync(unit, text);
    expect(text).toMatch(/^PrivateDevices=yes$/m);
    const score = analyze(unit, 'understudy\\.service');
    console.log(JSON.stringify({ unit: 'understudy.service', exposure: score }));
    expect(score).toBeLessThanOrEqual(2.0);
  });

  it("the worker's transient unit: no network, the GPU kept, its exposure reported", () => {
    // The same properties systemd-run gets, as a unit file systemd-analyze can read offline.
    const unit = join(work, 'understudy-worker.service');
    writeFileSync(
      unit,
      `[Service]\nType=exec\nExecStart=${TEST_PYTHON} /opt/understudy/models/trainer/worker.py train --config -\n${TRAINER_UNIT_PROPERTIES.join('\n')}\n`,
    );
    const score = analyze(unit, 'understudy-worker\\.service');
    console.log(JSON.stringify({ unit: 'understudy-worker (transient)', exposure: score }));
    expect(score).toBeLessThanOrEqual(2.0);
    expect(TRAINER_UNIT_PROPERTIES).toEqual(expect.arrayContaining(['PrivateNetwork=yes', 'IPAddressDeny=any']));
    expect(existsSync(unit)).toBe(true);
  });
});
