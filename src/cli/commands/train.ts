// `understudy train`: fine-tune the base model on your replies and register the new version.

import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { trainModel } from '../../train/run.js';
import type { WorkerRun } from '../../worker/run.js';
import { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { plural } from '../plural.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .summary('fine-tune the base model on your replies (LoRA), evaluate, and register the version')
    .description(
      "Builds the dataset, tokenizes it with the base model's tokenizer, fine-tunes a LoRA adapter in\n" +
        'the Python worker (CUDA, Apple MPS or CPU), exports a merged ONNX model, replies to held-out\n' +
        'messages with it and with the prompted route (the base model shown a few of your past replies),\n' +
        'scores both against what you really sent, and promotes the new version only if it beats the\n' +
        'prompted route on loss and chrF and the promoted version on chrF. Ctrl-C stops cleanly and keeps\n' +
        'the checkpoint: continue with --resume.',
    )
    .option('--resume', 'continue the last interrupted run from its checkpoint')
    .option('--force', 'train even when the GPU is busy')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 trained, 1 failed, 64 --resume with nothing to resume, 66 nothing synced yet, 75 GPU busy or\n' +
        'another training running (try later), 78 no torch / no base model (or its folder lacks files), 130 cancelled.',
    )
    .action(async (opts: { resume?: boolean; force?: boolean; json?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      let worker: WorkerRun | null = null;
      const onSigint = () => {
        process.stderr.write('\nstopping: the worker saves a checkpoint first…\n');
        worker?.cancel();
      };
      process.on('SIGINT', onSigint);
      // Started by the daemon: if the daemon dies (SIGKILL, a crash), this process is re-parented.
      // Stop as on Ctrl-C rather than train on next to the training a restarted daemon may start.
      const parentPid = Number(process.env.UNDERSTUDY_PARENT_PID ?? 0);
      const orphanWatch = parentPid
        ? setInterval(() => {
            if (process.ppid === parentPid) return;
            clearInterval(orphanWatch ?? undefined);
            process.stderr.write(`the daemon (pid ${parentPid}) that started this training is gone: stopping\n`);
            worker?.cancel();
            // Past the worker (export, evaluation): give the run a bounded time to finish.
            setTimeout(() => process.exit(EXIT.CANCELLED), 60_000).unref();
          }, 1000)
        : null;
      orphanWatch?.unref();
      const tty = process.stderr.isTTY;
      const bar = tty
        ? new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: 'training |{bar}| step {value}/{total} loss {loss} {tps} tok/s ETA {eta_formatted}',
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
      let barStarted = false;
      let lastLine = 0;
      try {
        const result = await trainModel({
          db: ctx.db,
          config: ctx.config,
          resume: Boolean(opts.resume),
          force: Boolean(opts.force),
          onWorker: (w) => {
            worker = w;
          },
          onProgress: (p) => {
            if (p.phase === 'train' && p.step !== undefined && p.steps !== undefined) {
              const payload = { loss: p.loss?.toFixed(3) ?? '-', tps: Math.round(p.tokensPerS ?? 0) };
              if (bar) {
                if (!barStarted) bar.start(p.steps, p.step, payload);
                barStarted = true;
                bar.update(p.step, payload);
              } else if (Date.now() - lastLine > 5000 || p.step === p.steps) {
                lastLine = Date.now();
                process.stderr.write(`training step ${p.step}/${p.steps} loss ${payload.loss} ${payload.tps} tok/s\n`);
              }
            } else if (p.phase !== 'train') {
              if (barStarted) bar?.stop();
              barStarted = false;
              // A phase's own messages (each route's scores) follow its label, not the label again.
              process.stderr.write(p.message ? `  ${p.message}\n` : `${phaseLabel(p.phase)}…\n`);
            } else if (p.message && !bar) process.stderr.write(`${p.message}\n`);
          },
        });
        bar?.stop();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const e = result.evaluation;
        const p = result.prompted;
        const pct = (x: number) => `${Math.round(x * 100)}%`;
        const route = (label: string, r: typeof e) =>
          `  ${label.padEnd(16)} loss ${fmt(r.loss)}  chrF ${r.chrf.toFixed(1).padStart(5)}  style ${pct(r.style).padStart(4)} (greeting ${pct(r.greeting)}, sign-off ${pct(r.signOff)}, language ${pct(r.language)})  length ×${r.lengthRatio.toFixed(2)}`;
        const out = [
          `trained version ${result.version.id} on ${plural(result.shards.splits.train.examples, 'example')} (${result.shards.splits.eval.examples} held out): ${result.steps} steps on ${result.device} in ${result.durationS.toFixed(0)} s`,
          `  training held-out loss: base model ${fmt(result.baseEvalLoss)} → tuned ${fmt(result.evalLoss)}`,
          e.samples
            ? `  replies to ${e.samples} held-out messages, scored against what you sent (loss: of your real reply, lower is better):`
            : '  no held-out messages to reply to yet',
          ...(e.samples
            ? [
                route('prompted route', p),
                route(`version ${result.version.id}`, e),
                ...(result.baseline ? [route('promoted before', result.baseline)] : []),
              ]
            : []),
          `  ${result.promoted ? 'PROMOTED' : 'not promoted'}: ${result.decision}`,
          `  ${result.version.dir}`,
        ];
        process.stdout.write(`${out.join('\n')}\n`);
      } catch (err) {
        bar?.stop();
        // TrainError, WorkerError, ModelError: describeError prints them with the exit code of
        // their code and kind (src/errors.ts exitCodeOf), the one mapping every command shares.
        throw err;
      } finally {
        process.off('SIGINT', onSigint);
        if (orphanWatch) clearInterval(orphanWatch);
        ctx.close();
      }
    });
}

function phaseLabel(phase: string): string {
  return (
    {
      dataset: 'building the dataset',
      tokenize: 'tokenizing',
      export: 'exporting the merged model to ONNX',
      evaluate: 'replying to held-out messages',
      register: 'registering the version',
    }[phase] ?? phase
  );
}

function fmt(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3);
}
