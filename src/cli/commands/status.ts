// `understudy status`: what is stored, per account and mailbox, from the local store only.
import type { Command } from 'commander';
import { storeSize, storeStatus } from '../../store/status.js';
import { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { ago, bytes } from '../format.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .summary('show what is stored and when each mailbox was last synced')
    .description(
      'Reads the local store only (no network): per account and mailbox, message counts, last sync and errors.',
    )
    .option('--json', 'print as JSON on stdout')
    .action((opts: { json?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        const config = ctx.config;
        const stored = storeStatus(ctx.db);
        const accounts = config.accounts.map((a) => {
          const s = stored.find((x) => x.name === a.name);
          return (
            s ?? {
              name: a.name,
              host: a.host,
              user: a.user,
              lastSyncAt: null,
              lastError: null,
              lastErrorKind: null,
              messages: 0,
              mailboxes: [],
            }
          );
        });
        const status = {
          store: { path: config.dbPath, bytes: storeSize(config.dbPath) },
          accounts,
        };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        } else {
          const out = [`store: ${status.store.path} (${bytes(status.store.bytes)})`];
          for (const a of accounts) {
            const state = a.lastError
              ? `last sync FAILED (${a.lastErrorKind}): ${a.lastError}`
              : a.lastSyncAt
                ? 'ok'
                : 'not synced yet: run understudy sync';
            out.push(
              `${a.name} (${a.user} at ${a.host}): ${a.messages} messages, last complete sync ${ago(a.lastSyncAt)} — ${state}`,
            );
            const width = Math.max(8, ...a.mailboxes.map((b) => b.path.length));
            for (const b of a.mailboxes) {
              const role = b.specialUse ? ` ${b.specialUse}` : '';
              out.push(
                `  ${b.path.padEnd(width)} ${String(b.messages).padStart(7)} messages  synced ${ago(b.lastSyncAt)}${role}${b.lastError ? `  ERROR: ${b.lastError}` : ''}`,
              );
            }
          }
          process.stdout.write(`${out.join('\n')}\n`);
        }
        const failing = accounts.some((a) => a.lastError);
        process.exitCode = failing ? EXIT.FAILURE : EXIT.OK;
      } finally {
        ctx.close();
      }
    });
}
