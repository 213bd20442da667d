// `understudy service install|uninstall|status`: run the daemon as a systemd user service
// (Linux) or a launchd agent (macOS).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ensurePrivateDir } from '../../store/db.js';
import { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { renderLaunchdPlist, renderSystemdUnit, servicePaths } from '../service-files.js';

const UNIT = 'understudy.service';
const AGENT = 'com.understudy.daemon';

/** Where `service install` puts the unit (systemd, XDG_CONFIG_HOME) or the agent (launchd) file. */
export function serviceFile(): string {
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'LaunchAgents', `${AGENT}.plist`);
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'systemd', 'user', UNIT);
}

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || (r.error?.message ?? '') };
}

export function registerService(program: Command): void {
  const service = program.command('service').summary('install the daemon as a systemd user service or launchd agent');

  service
    .command('install')
    .summary('render, install and start the service')
    .option('--print', 'only print the rendered unit / plist')
    .action((opts: { print?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      const config = ctx.config;
      ensurePrivateDir(config.dataDir);
      const paths = servicePaths(config.file, config.dataDir);
      if (process.platform === 'darwin') {
        const plist = renderLaunchdPlist(paths);
        if (opts.print) return void process.stdout.write(plist);
        const file = join(homedir(), 'Library', 'LaunchAgents', `${AGENT}.plist`);
        mkdirSync(join(homedir(), 'Library', 'LaunchAgents'), { recursive: true });
        mkdirSync(paths.logDir, { recursive: true });
        writeFileSync(file, plist, { mode: 0o644 });
        run('launchctl', ['bootout', `gui/${userInfo().uid}/${AGENT}`]);
        const boot = run('launchctl', ['bootstrap', `gui/${userInfo().uid}`, file]);
        if (!boot.ok) throw new CliError(`launchctl bootstrap failed: ${boot.out}`, 'SERVICE_FAILED', EXIT.FAILURE);
        process.stdout.write(`installed ${file} and started it; logs in ${paths.logDir}/understudy.log\n`);
        return;
      }
      const unit = renderSystemdUnit(paths);
      if (opts.print) return void process.stdout.write(unit);
      const dir = join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'systemd', 'user');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, UNIT), unit, { mode: 0o644 });
      const reload = run('systemctl', ['--user', 'daemon-reload']);
      const enable = reload.ok ? run('systemctl', ['--user', 'enable', '--now', UNIT]) : reload;
      if (!enable.ok)
        throw new CliError(
          `wrote ${join(dir, UNIT)}, but systemctl --user could not start it: ${enable.out}\n` +
            `  fix: systemd user services need a user session (log in, or: sudo loginctl enable-linger ${userInfo().username}),\n` +
            '  then run: systemctl --user daemon-reload && systemctl --user enable --now understudy',
          'SERVICE_FAILED',
          EXIT.FAILURE,
        );
      process.stdout.write(
        `installed ${join(dir, UNIT)} and started it. Logs: journalctl --user -u understudy -f\n` +
          `To keep it running when you are logged out: sudo loginctl enable-linger ${userInfo().username}\n`,
      );
      ctx.close();
    });

  service
    .command('uninstall')
    .summary('stop and remove the service')
    .action(() => {
      if (process.platform === 'darwin') {
        const file = serviceFile();
        run('launchctl', ['bootout', `gui/${userInfo().uid}/${AGENT}`]);
        rmSync(file, { force: true });
        process.stdout.write(`stopped and removed ${file}\n`);
        return;
      }
      const file = serviceFile();
      const existed = existsSync(file);
      const disable = run('systemctl', ['--user', 'disable', '--now', UNIT]);
      rmSync(file, { force: true });
      run('systemctl', ['--user', 'daemon-reload']);
      if (!disable.ok && existed) {
        // The file is gone, but a running daemon may not be: say so instead of "stopped".
        throw new CliError(
          `removed ${file}, but systemctl --user could not stop the service: ${disable.out}\n` +
            '  fix: if `understudy status` still shows the daemon running, stop it with kill <its pid>',
          'SERVICE_FAILED',
          EXIT.FAILURE,
        );
      }
      process.stdout.write(existed ? `stopped and removed ${file}\n` : `not installed (no ${file})\n`);
    });

  service
    .command('status')
    .summary('is the service installed and running?')
    .action(() => {
      if (process.platform === 'darwin') {
        const r = run('launchctl', ['print', `gui/${userInfo().uid}/${AGENT}`]);
        process.stdout.write(
          r.ok
            ? `${r.out
                .split('\n')
                .filter((l) => /state|pid|last exit/.test(l))
                .join('\n')}\n`
            : 'not installed\n',
        );
        process.exitCode = r.ok ? EXIT.OK : EXIT.FAILURE;
        return;
      }
      const file = join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'systemd', 'user', UNIT);
      if (!existsSync(file)) {
        process.stdout.write('not installed: run understudy service install\n');
        process.exitCode = EXIT.FAILURE;
        return;
      }
      const r = run('systemctl', ['--user', 'status', '--no-pager', UNIT]);
      process.stdout.write(`${r.out}\n`);
      process.exitCode = r.ok ? EXIT.OK : EXIT.FAILURE;
    });
}
