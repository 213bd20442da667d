// `understudy model pull|list|promote|rollback`: base models and trained versions.

import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { DEFAULT_PRESET, PRESETS } from '../../model/presets.js';
import { PullError, pullModel } from '../../model/pull.js';
import { listVersions, promote, rollback } from '../../model/registry.js';
import { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { bytes } from '../format.js';

export function registerModel(program: Command): void {
  const model = program.command('model').summary('base models and your trained versions');

  model
    .command('pull')
    .argument('[model]', `a preset (see \`understudy model presets\`) or a Hugging Face repository id`, DEFAULT_PRESET)
    .summary('download a base model (the only command that uses the internet)')
    .description(
      'Downloads config, tokenizer and safetensors weights of a base model from the Hugging Face hub\n' +
        'into the data dir, verifying sizes and hashes. Interrupted downloads resume. Nothing else in\n' +
        'Understudy downloads anything. A token for gated models is read from $HF_TOKEN.',
    )
    .option('--revision <rev>', 'branch, tag or commit to pull (default: the preset’s)')
    .option('--hub-url <url>', 'hub address (default https://huggingface.co; for mirrors)')
    .action(async (name: string, opts: { revision?: string; hubUrl?: string }, command: Command) => {
      const ctx = CliContext.from(command);
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { stream: process.stderr, format: '{file} |{bar}| {percentage}% {done}/{size}', hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      let started = false;
      let lastLine = 0;
      try {
        const result = await pullModel({
          model: name,
          dataDir: ctx.config.dataDir,
          ...(opts.hubUrl ? { hubUrl: opts.hubUrl } : {}),
          ...(opts.revision ? { revision: opts.revision } : {}),
          ...(process.env.HF_TOKEN ? { token: process.env.HF_TOKEN } : {}),
          onProgress: (p) => {
            const payload = { file: p.file.padEnd(28).slice(0, 28), done: bytes(p.bytes), size: bytes(p.total) };
            if (bar) {
              if (!started) bar.start(p.total, p.bytes, payload);
              started = true;
              bar.update(p.bytes, payload);
            } else if (Date.now() - lastLine > 5000) {
              lastLine = Date.now();
              process.stderr.write(`${p.file}: ${bytes(p.bytes)} of ${bytes(p.total)}\n`);
            }
          },
        });
        bar?.stop();
        const size = result.manifest.files.reduce((n, f) => n + f.size, 0);
        process.stdout.write(
          `${result.manifest.repo} at ${result.manifest.commit.slice(0, 12)}: ${result.manifest.files.length} files, ${bytes(size)} in ${result.dir} (${result.downloaded} downloaded now, all verified)\n`,
        );
      } catch (err) {
        bar?.stop();
        if (err instanceof PullError)
          throw new CliError(err.message, `PULL_${err.code}`, err.code === 'NETWORK' ? EXIT.TEMPFAIL : EXIT.FAILURE);
        throw err;
      } finally {
        ctx.close();
      }
    });

  model
    .command('presets')
    .summary('the base models Understudy knows, with licence, size and languages')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(PRESETS, null, 2)}\n`);
        return;
      }
      for (const p of PRESETS) {
        process.stdout.write(
          `${p.id === DEFAULT_PRESET ? '*' : ' '} ${p.id.padEnd(24)} ${p.repo}\n    ${p.parameters} parameters, ${p.downloadGb} GB, ${p.license}; ${p.languages}\n    ${p.notes}\n`,
        );
      }
    });

  model
    .command('list')
    .summary('your trained versions, their scores, and which one writes drafts')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        const versions = listVersions(ctx.db);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              versions.map((v) => ({ ...v, metrics: JSON.parse(v.metrics), data: JSON.parse(v.data) })),
              null,
              2,
            )}\n`,
          );
          return;
        }
        if (!versions.length) {
          process.stdout.write('no trained versions yet: run understudy train\n');
          return;
        }
        for (const v of versions) {
          const loss =
            v.eval_loss !== null && v.base_eval_loss !== null
              ? `held-out loss ${v.base_eval_loss.toFixed(3)} → ${v.eval_loss.toFixed(3)}`
              : 'no held-out loss';
          const score =
            v.score !== null ? `, chrF ${v.score.toFixed(1)}, style ${Math.round((v.style_match ?? 0) * 100)}%` : '';
          process.stdout.write(
            `${v.status === 'promoted' ? '*' : ' '} ${String(v.id).padStart(3)}  ${new Date(v.created_at).toISOString().slice(0, 16)}  ${v.status.padEnd(9)} ${loss}${score}  (${v.base_repo ?? v.base})\n`,
          );
        }
      } finally {
        ctx.close();
      }
    });

  model
    .command('promote')
    .argument('<version>', 'version number (see model list)')
    .summary('use this version for drafts')
    .action((version: string, _opts: unknown, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        const v = promote(ctx.db, Number(version));
        process.stdout.write(`version ${v.id} is now promoted: drafts are written with it\n`);
      } catch (err) {
        throw new CliError((err as Error).message, 'PROMOTE_FAILED', EXIT.FAILURE);
      } finally {
        ctx.close();
      }
    });

  model
    .command('rollback')
    .summary('go back to the previously promoted version')
    .action((_opts: unknown, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        const v = rollback(ctx.db);
        process.stdout.write(`rolled back: version ${v.id} is promoted again\n`);
      } catch (err) {
        throw new CliError((err as Error).message, 'ROLLBACK_FAILED', EXIT.FAILURE);
      } finally {
        ctx.close();
      }
    });
}
