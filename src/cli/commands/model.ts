// `understudy model pull|presets|list|promote|rollback|prune|export`: base models and trained versions.

import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Config } from '../../config/load.js';
import { DEFAULT_PRESET, PRESETS } from '../../config/presets.js';
import { mergeCopies } from '../../dataset/build.js';
import { userIdentity } from '../../dataset/identity.js';
import { exitCodeOf } from '../../errors.js';
import { resolveBaseModel } from '../../model/base-model.js';
import { baseOnnxDir, exportBaseVersion } from '../../model/base-onnx.js';
import { exportGguf, type GgufPrecision } from '../../model/export-gguf.js';
import { writeModelfile } from '../../model/modelfile.js';
import { systemPrompt } from '../../model/prompt.js';
import { pullModel } from '../../model/pull.js';
import { hasOnnxModel, listVersions, promote, pruneVersions, retirePromoted, rollback } from '../../model/registry.js';
import { listAccounts } from '../../store/accounts.js';
import type { Db } from '../../store/db.js';
import { messagesForDataset } from '../../store/messages.js';
import { baseVersion } from '../../store/model-versions.js';
import { WorkerError } from '../../worker/errors.js';
import { findPython } from '../../worker/python.js';
import { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { bytes } from '../format.js';
import { outputFileError } from '../output-file.js';

export function registerModel(program: Command): void {
  const model = program.command('model').summary('base models and your trained versions');

  model
    .command('pull')
    .argument(
      '[model]',
      `a preset (see \`understudy model presets\`) or a Hugging Face repository id (default: the config's train.base_model, ${DEFAULT_PRESET} unless set)`,
    )
    .summary('download a base model (the only command that uses the internet)')
    .description(
      'Downloads config, tokenizer and safetensors weights of a base model from the Hugging Face hub\n' +
        'into the data dir, verifying sizes and hashes. Interrupted downloads resume. Nothing else in\n' +
        'Understudy downloads anything. A token for gated models is read from $HF_TOKEN.\n' +
        'Then exports the model to ONNX once (with train.python) and registers the export as version 0,\n' +
        'which writes drafts until a trained version is promoted.',
    )
    .option('--revision <rev>', 'branch, tag or commit to pull (default: the preset’s)')
    .option('--hub-url <url>', 'hub address (default https://huggingface.co; for mirrors)')
    .action(async (given: string | undefined, opts: { revision?: string; hubUrl?: string }, command: Command) => {
      const ctx = CliContext.from(command);
      // Without a name, the model `train` will use: README's `model pull && … && train` pulled the
      // default preset even when train.base_model named another, and train then found none.
      const name = given ?? ctx.config.train.baseModel;
      if (given === undefined && isAbsolute(name)) {
        process.stdout.write(
          `train.base_model is the folder ${name} on this machine: nothing to download (understudy config check says whether it is ready)\n`,
        );
        ctx.close();
        return;
      }
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
          nameFrom: given === undefined ? 'config' : 'argument',
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
        // The cold-start route drafts with the base model's ONNX export: made here, once, so
        // that drafting never runs the worker (src/model/base-onnx.ts).
        const exported = await exportPulledBase(ctx.db, ctx.config, result);
        process.stdout.write(`version 0 (the base model, drafts before your first training): ${exported}\n`);
      } catch (err) {
        bar?.stop();
        // A PullError's exit code comes from its kind (src/errors.ts): 75 for an unreachable hub, 64 for
        // a name the hub does not know given here (78 when it is the config's train.base_model), else 1.
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
        // Version 0 (the base model's export, registered by `model pull`) is no trained version, but
        // it is what writes drafts until one is promoted: say so, as pull did.
        const base = baseVersion(ctx.db);
        if (base) {
          const inUse = !versions.some((v) => v.status === 'promoted');
          process.stdout.write(
            `${inUse ? '*' : ' '} ${'0'.padStart(3)}  ${new Date(base.created_at).toISOString().slice(0, 16)}  ${'base'.padEnd(9)} the base model, exported for drafting${inUse ? ' (writes drafts until a trained version is promoted)' : ''}  (${base.base_repo ?? base.base})\n`,
          );
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
          const pruned = hasOnnxModel(v) ? '' : '  [pruned: adapter only]';
          process.stdout.write(
            `${v.status === 'promoted' ? '*' : ' '} ${String(v.id).padStart(3)}  ${new Date(v.created_at).toISOString().slice(0, 16)}  ${v.status.padEnd(9)} ${loss}${score}  (${v.base_repo ?? v.base})${pruned}\n`,
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
      } finally {
        ctx.close();
      }
    });

  model
    .command('rollback')
    .summary('go back to the previously promoted version (or, with --to-base, to the cold-start route)')
    .option(
      '--to-base',
      'promote no version: drafts are written by the base model shown a few of your past replies (the\n' +
        'cold-start route) until you promote a version or a training wins',
    )
    .addHelpText('after', '\nExit codes: 0 done, 1 nothing to roll back to, 78 config problem.')
    .action((opts: { toBase?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        if (opts.toBase) {
          const was = retirePromoted(ctx.db);
          process.stdout.write(
            was
              ? `version ${was.id} is retired: drafts are written by the base model (cold start) now; understudy model promote ${was.id} brings it back\n`
              : 'no version was promoted: drafts already use the base model (cold start)\n',
          );
          return;
        }
        const v = rollback(ctx.db);
        process.stdout.write(`rolled back: version ${v.id} is promoted again\n`);
      } finally {
        ctx.close();
      }
    });

  model
    .command('prune')
    .summary('free disk space: remove the merged model of old versions (the promoted one always stays)')
    .description(
      'Every trained version keeps a merged ONNX model as large as its base model (about 2 GB for the\n' +
        'default). prune removes it from all versions but the promoted one and the one before it (the\n' +
        'one `model rollback` returns to), or the --keep newest. A pruned version keeps its adapter\n' +
        '(PEFT format, a few MB) and its scores; it can no longer be promoted or rolled back to.',
    )
    .option('--keep <n>', 'versions that keep their model, the promoted one included', '2')
    .option('--dry-run', 'show what would be removed, remove nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExit codes: 0 done (also when nothing needed pruning), 64 bad --keep, 78 config problem.')
    .action((opts: { keep: string; dryRun?: boolean; json?: boolean }, command: Command) => {
      const keep = Number(opts.keep);
      if (!Number.isInteger(keep) || keep < 1)
        throw new CliError(
          `--keep ${opts.keep} must be a whole number of at least 1 (the promoted version is always kept)`,
          'BAD_ARGUMENT',
          EXIT.USAGE,
        );
      const ctx = CliContext.from(command);
      try {
        const r = pruneVersions(ctx.db, { keep, dryRun: Boolean(opts.dryRun) });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        const verb = r.dryRun ? 'would remove' : 'removed';
        for (const p of r.pruned)
          process.stdout.write(`  version ${p.id} (${p.status}): ${verb} its merged model, ${bytes(p.bytes)}\n`);
        const kept = r.kept.map((k) => `${k.id} (${k.why})`).join(', ');
        process.stdout.write(
          `${r.dryRun ? 'dry run: would free' : 'freed'} ${bytes(r.freedBytes)} in ${r.pruned.length} version${r.pruned.length === 1 ? '' : 's'}; ` +
            `kept ${kept || 'none (no trained version has a model)'}\n`,
        );
      } finally {
        ctx.close();
      }
    });

  model
    .command('export')
    .argument('[version]', 'version number (see model list; default: the promoted one)')
    .requiredOption('--gguf <file>', 'write the merged model as one GGUF file')
    .option('--precision <p>', 'f16 (default), q8_0 (half the size) or f32', 'f16')
    .summary('write a trained version as GGUF, for Ollama, LM Studio or llama.cpp')
    .option('--no-modelfile', 'do not write the Ollama Modelfile beside the GGUF')
    .description(
      'Merges the version’s adapter into its base model and writes one GGUF file with the weights, the\n' +
        'tokenizer and the chat template, and beside it an Ollama Modelfile (anna.gguf → anna.Modelfile)\n' +
        'with the prompt layout the version was trained on, its stop tokens and your [drafts] sampling:\n' +
        '`ollama create NAME -f anna.Modelfile`. LM Studio and llama.cpp read the GGUF directly. The file\n' +
        'holds a model trained on your mail: keep it private.',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 written, 1 export failed, 64 bad argument or no such version, 78 no Python with torch or\n' +
        'no base model.',
    )
    .action(
      async (
        version: string | undefined,
        opts: { gguf: string; precision: string; modelfile: boolean },
        command: Command,
      ) => {
        const ctx = CliContext.from(command);
        try {
          if (!['f16', 'q8_0', 'f32'].includes(opts.precision)) {
            throw new CliError(
              `--precision ${opts.precision} is not one of f16, q8_0, f32`,
              'BAD_ARGUMENT',
              EXIT.USAGE,
            );
          }
          const versions = listVersions(ctx.db);
          const chosen =
            version === undefined
              ? versions.find((v) => v.status === 'promoted')
              : versions.find((v) => v.id === Number(version));
          if (!chosen) {
            throw new CliError(
              version === undefined
                ? 'no promoted version to export: run understudy train, or name a version (understudy model list)'
                : `there is no version ${version} (understudy model list shows them)`,
              'NO_SUCH_VERSION',
              EXIT.USAGE,
            );
          }
          // A folder that is not there is found now, not after minutes of merging and converting.
          try {
            accessSync(dirname(resolve(opts.gguf)), constants.W_OK);
          } catch (err) {
            throw outputFileError(opts.gguf, err, '--gguf') ?? err;
          }
          const python = findPython(ctx.config.train.python).executable;
          const base = chosen.base || resolveBaseModel(ctx.config).dir;
          const started = Date.now();
          process.stderr.write(`exporting version ${chosen.id} (${opts.precision}) to ${opts.gguf}…\n`);
          const { bytes: size } = await exportGguf({
            python,
            modelDir: base,
            adapterDir: join(chosen.dir, 'adapter'),
            outFile: opts.gguf,
            precision: opts.precision as GgufPrecision,
            onLog: (line) => ctx.logger.debug({ worker: line }, 'export-gguf'),
          });
          process.stdout.write(
            `wrote ${opts.gguf}: version ${chosen.id}, ${opts.precision}, ${bytes(size)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
          );
          if (opts.modelfile) {
            const file = await writeModelfile({
              ggufFile: opts.gguf,
              modelDir: base,
              system: systemPrompt({ user: exportIdentity(ctx.db, ctx.config.accounts), now: Date.now() }),
              temperature: ctx.config.drafts.temperature,
              topP: ctx.config.drafts.topP,
              maxNewTokens: ctx.config.drafts.maxNewTokens,
              contextLength: ctx.config.train.maxSeqLen,
            });
            process.stdout.write(`wrote ${file}: load it with  ollama create NAME -f ${file}\n`);
          }
        } finally {
          // A WorkerError or ModelError reaches describeError: its message, fix and exit code.
          ctx.close();
        }
      },
    );
}

/**
 * Exports a freshly pulled base model to ONNX (when not exported yet) and registers it as
 * version 0. A failed export keeps the download and says how to finish.
 * @throws CliError PULL_EXPORT_<worker code>, with the worker error's exit code (78 for no PyTorch, else 1).
 */
async function exportPulledBase(
  db: Db,
  config: Config,
  pulled: { dir: string; manifest: { repo: string; commit: string } },
): Promise<string> {
  const base = { dir: pulled.dir, repo: pulled.manifest.repo, commit: pulled.manifest.commit };
  if (!existsSync(join(baseOnnxDir(config.dataDir, base.dir), 'onnx', 'model.onnx')))
    process.stderr.write(`exporting ${base.repo} to ONNX for drafting (once; minutes for a large model)\n`);
  try {
    return await exportBaseVersion(db, config.dataDir, base, () => findPython(config.train.python).executable);
  } catch (err) {
    if (!(err instanceof WorkerError)) throw err;
    throw new CliError(
      `${base.repo} is downloaded, but its ONNX export for drafting failed: ${err.message}\n  fix: ${err.fix}; then run understudy model pull again (nothing is downloaded twice)`,
      `PULL_EXPORT_${err.code}`,
      exitCodeOf(err),
      err,
    );
  }
}

/**
 * Who the exported model writes as: the first account's addresses and the name the user signs
 * their sent mail with, as the dataset found them (so the Modelfile's SYSTEM is training's).
 */
function exportIdentity(
  db: Db,
  accounts: readonly { name: string; addresses: string[] }[],
): { name?: string; addresses: string[] } {
  const account = accounts[0];
  if (!account) return { addresses: [] };
  const row = listAccounts(db).find((a) => a.name === account.name);
  if (!row) return { addresses: account.addresses };
  const identity = userIdentity(account.addresses, mergeCopies(messagesForDataset(db, row.id)));
  return { ...(identity.name ? { name: identity.name } : {}), addresses: [...identity.addresses] };
}
