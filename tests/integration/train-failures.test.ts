// `understudy train` when things go wrong: a corrupt or unsupported base model, no PyTorch, no
// base model, no data, and Ctrl-C followed by --resume. Each gives a clear error and an exit
// code, and the promoted model stays promoted and intact.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { seedPersonaMailbox } from '../helpers/persona.js';
import { TEST_PYTHON, tinyModel, tinyTrainSection } from '../helpers/tiny-model.js';

const server = inject('dovecot');
const RESUME_STEPS = 60;
const trainSection = (model: string, extra = '') => `${tinyTrainSection(model, { max_steps: 30 })}${extra}`;

describe('understudy train: failures, cancel and resume', () => {
  let account: TestAccount;
  let model: string;
  const work = mkdtempSync(join(tmpdir(), 'understudy-train-fail-'));
  const train = (top: string, args: string[] = []) => {
    account.writeConfig({ top });
    return runCli(['--config', account.configFile, 'train', ...args], {}, 1_100_000);
  };
  const promoted = async () =>
    JSON.parse((await runCli(['--config', account.configFile, 'model', 'list', '--json'])).stdout).filter(
      (v: { status: string }) => v.status === 'promoted',
    );

  beforeAll(async () => {
    model = tinyModel();
    account = newAccount(server);
    const client = await account.client();
    await seedPersonaMailbox(client, `${account.user}@example.test`, 30);
    await client.logout();
    expect((await runCli(['--config', account.configFile, 'sync', '--quiet'])).code).toBe(0);
    const first = await train(trainSection(model));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/held-out loss: base model [\d.]+ → tuned [\d.]+/);
    expect(first.stdout).toMatch(/PROMOTED/);
    // The evaluation says each route's scores as it goes, under one label (not the label again).
    expect(first.stderr.match(/replying to held-out messages/g)).toHaveLength(1);
    expect(first.stderr).toMatch(/^ {2}prompted route: loss [\d.]+, chrF [\d.]+/m);
    expect(first.stderr).toMatch(/^ {2}tuned: loss [\d.]+, chrF [\d.]+/m);
    console.log(first.stdout);
  }, 1_200_000);

  it('a corrupt safetensors file: MODEL_CORRUPT, and the promoted version stays', async () => {
    const broken = join(work, 'corrupt');
    cpSync(model, broken, { recursive: true });
    truncateSync(join(broken, 'model.safetensors'), 1000);
    const r = await train(trainSection(broken));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model\.safetensors/);
    const [v] = await promoted();
    expect(v.id).toBe(1);
    expect(existsSync(join(v.dir, 'model', 'onnx', 'model.onnx'))).toBe(true);
    console.log(`corrupt: ${r.stderr.trim().split('\n').at(-1)}`);
  });

  it('an unsupported architecture is named', async () => {
    const gpt2 = join(work, 'gpt2');
    cpSync(model, gpt2, { recursive: true });
    const config = JSON.parse(readFileSync(join(gpt2, 'config.json'), 'utf8'));
    writeFileSync(
      join(gpt2, 'config.json'),
      JSON.stringify({ ...config, architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }),
    );
    const r = await train(trainSection(gpt2));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GPT2LMHeadModel/);
    expect((await promoted())[0].id).toBe(1);
  });

  it('no PyTorch: says how to install it (exit 78)', async () => {
    const fake = join(work, 'python-without-torch');
    writeFileSync(fake, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'torch\'" >&2\nexit 1\n', {
      mode: 0o755,
    });
    const r = await train(trainSection(model).replace(`python = "${TEST_PYTHON}"`, `python = "${fake}"`));
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/no Python with PyTorch found .* sudo apt-get install python3-torch python3-numpy/s);
  });

  it('a base model that was never pulled: says which command pulls it (exit 78)', async () => {
    const r = await train(trainSection('smollm2-135m-instruct'));
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/understudy model pull smollm2-135m-instruct/);
  });

  it('no data: EMPTY_DATASET, with what to do', async () => {
    const empty = newAccount(server, { top: trainSection(model) });
    expect((await runCli(['--config', empty.configFile, 'sync', '--quiet'])).code).toBe(0);
    const r = await runCli(['--config', empty.configFile, 'train'], {}, 300_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no training examples yet/);
  });

  it('Ctrl-C keeps the checkpoint; --resume finishes the same run', async () => {
    // Long enough that the interrupt (at step 20 or later) lands well before the end; the run's
    // learning is not what this checks, so no more steps than that.
    account.writeConfig({ top: trainSection(model).replace('max_steps = 30', `max_steps = ${RESUME_STEPS}`) });
    const child = spawn(process.execPath, [CLI, '--config', account.configFile, 'train'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b) => {
      stderr += b.toString();
    });
    // Interrupt once training is under way.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (/training step (2\d|[3-9]\d)\//.test(stderr)) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/continue with --resume/);
    const resumed = await runCli(['--config', account.configFile, 'train', '--resume', '--json'], {}, 1_100_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    const r = JSON.parse(resumed.stdout);
    expect(r.steps).toBe(RESUME_STEPS);
    console.log(
      `interrupted after ${stderr.match(/training step (\d+)\//g)?.at(-1)}; resumed run ${r.runId} finished at step ${r.steps}: ${r.decision}`,
    );
  });
});
