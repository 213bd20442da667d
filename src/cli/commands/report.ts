// `understudy report`: one HTML page (plus each chart as SVG and PNG) showing training, the
// prompted route against every tuned version, drafts over time, why mail got no draft, and the
// dataset. Read-only: it reads the local store and writes only into the report folder.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeReport } from '../../report/write.js';
import { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .summary('an HTML report: training curves, prompting vs fine-tuning, drafts per week, the dataset')
    .description(
      'Writes index.html and every chart as SVG and PNG into a folder (default: report/ in the data\n' +
        'folder). The page is self-contained: it loads nothing from anywhere, so it can be mailed or\n' +
        'archived as it is. Reads the local store only; talks to no server.',
    )
    .option('--out <dir>', 'write the report into this folder')
    .option('--open', 'open the page in your browser afterwards (xdg-open / open)')
    .option('--json', 'print what was written, and the numbers, as JSON on stdout')
    .addHelpText('after', '\nExit codes: 0 written, 73 the folder cannot be written, 78 config problem.')
    .action(async (opts: { out?: string; open?: boolean; json?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        const dir = resolve(opts.out ?? join(ctx.config.dataDir, 'report'));
        let result: Awaited<ReturnType<typeof writeReport>>;
        try {
          result = await writeReport(ctx.db, ctx.config, dir);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code && ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'ENOTDIR', 'EEXIST', 'ENOENT'].includes(code))
            throw new CliError(
              `cannot write the report into ${dir} (${code}): choose another folder with --out DIR`,
              'REPORT_UNWRITABLE',
              EXIT.CANTCREAT,
              err,
            );
          throw err;
        }
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ html: result.html, charts: result.charts, versions: result.data.versions, dataset: result.data.dataset, noDraft: result.data.noDraft, drafts: result.data.drafts }, null, 2)}\n`,
          );
        } else {
          const drawn = result.charts.filter((c) => c.svg);
          const empty = result.charts.filter((c) => !c.svg);
          const lines = [
            `report: ${result.html}`,
            `  ${drawn.length} charts (SVG and PNG beside it): ${drawn.map((c) => c.name).join(', ') || 'none'}`,
            ...empty.map((c) => `  no ${c.name} chart: ${c.empty}`),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (opts.open) openInBrowser(result.html);
      } finally {
        ctx.close();
      }
    });
}

/** Hands the page to the desktop's opener; a missing opener is a note, not a failure. */
function openInBrowser(file: string): void {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  const child = spawn(opener, [file], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`could not run ${opener}; open ${file} in your browser\n`));
  child.unref();
}
