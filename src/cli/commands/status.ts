// `understudy status`: what is stored, per account and mailbox, from the local store only.
import type { Command } from 'commander';
import { draftingPaused } from '../../drafts/pause.js';
import { promotedVersion } from '../../model/registry.js';
import { readDaemonStatus, readDaemonStopped } from '../../store/daemon-status-file.js';
import { draftCounts } from '../../store/drafts.js';
import { storeSize, storeStatus } from '../../store/status.js';
import { lastRuns } from '../../store/training-runs.js';
import { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { ago, bytes } from '../format.js';
import { accountMargins, marginLines } from '../margins.js';
import { INTERRUPTED_KIND } from '../sync-interrupt.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .summary('what is stored, the last sync of each mailbox, the model, drafts and their outcomes, the daemon')
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
        const promoted = promotedVersion(ctx.db);
        const runs = lastRuns(ctx.db, 1);
        const status = {
          store: { path: config.dbPath, bytes: storeSize(config.dbPath) },
          accounts,
          model: promoted
            ? {
                version: promoted.id,
                createdAt: promoted.created_at,
                evalLoss: promoted.eval_loss,
                baseEvalLoss: promoted.base_eval_loss,
                score: promoted.score,
                styleMatch: promoted.style_match,
              }
            : null,
          lastTraining: runs[0] ?? null,
          // Per account: the promoted version against the prompted route (issue 13).
          routes: accountMargins(
            ctx.db,
            config.accounts.map((a) => a.name),
          ),
          drafts: { allTime: draftCounts(ctx.db), last7Days: draftCounts(ctx.db, Date.now() - 7 * 86_400_000) },
          draftingPaused: draftingPaused(config.dataDir),
          daemon: readDaemonStatus(config.dataDir),
          daemonStopped: readDaemonStopped(config.dataDir)?.stopped ?? null,
        };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        } else {
          const out = [`store: ${status.store.path} (${bytes(status.store.bytes)})`];
          for (const a of accounts) {
            const state = a.lastError
              ? a.lastErrorKind === INTERRUPTED_KIND
                ? `last sync INTERRUPTED: ${a.lastError}`
                : `last sync FAILED (${a.lastErrorKind}): ${a.lastError}`
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
          out.push(
            status.model
              ? `model: version ${status.model.version} promoted ${ago(status.model.createdAt)} (held-out loss ${status.model.baseEvalLoss?.toFixed(3) ?? '?'} → ${status.model.evalLoss?.toFixed(3) ?? '?'})`
              : 'model: none trained yet (drafts use the base model with a few of your replies: cold start)',
          );
          if (status.draftingPaused)
            out.push(
              `drafting paused ${status.draftingPaused.since ? ago(status.draftingPaused.since) : ''} (sync and training go on): understudy resume turns it back on`,
            );
          out.push(
            ...marginLines(
              ctx.db,
              config.accounts.map((a) => a.name),
            ).map((l) => `  ${l}`),
          );
          if (status.lastTraining)
            out.push(
              `last training: ${status.lastTraining.status} ${ago(status.lastTraining.finished_at ?? status.lastTraining.started_at)}${status.lastTraining.error ? ` — ${status.lastTraining.error}` : ''}`,
            );
          const daemon = status.daemon;
          if (daemon) {
            const running = daemon.jobs
              .filter((j) => j.running)
              .map((j) => `${j.kind}${j.progress ? ` (${j.progress})` : ''}`);
            out.push(
              `daemon: ${daemon.state}, pid ${daemon.pid}, up ${ago(daemon.startedAt).replace(' ago', '')}; IDLE ${daemon.accounts.map((a) => `${a.name} ${a.idle ? 'on' : 'off'}`).join(', ')}; ` +
                `${running.length ? `working on ${running.join(', ')}` : 'idle'}; ${daemon.draftsToday} drafts today` +
                `${daemon.nextTraining ? `; next training ${new Date(daemon.nextTraining).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}`,
            );
          } else if (status.daemonStopped) {
            const s = status.daemonStopped;
            out.push(
              `daemon: STOPPED ${ago(s.at)} (exit ${s.exitCode}, ${s.code}) and will not restart by itself: ${s.message}`,
              '  fix the cause, then start it again: systemctl --user restart understudy (or understudy daemon)',
            );
          } else
            out.push(
              'daemon: not running (start it with understudy daemon, or install the service: understudy service install)',
            );
          const d = status.drafts.allTime;
          out.push(
            `drafts: ${d.written} written (${d.today} today), ${d.keptAsIs} sent as written, ${d.lightlyEdited} lightly edited, ${d.rewritten} rewritten, ${d.discarded} discarded, ${d.pending} waiting in Drafts${d.failed ? `, ${d.failed} refused` : ''}`,
          );
          process.stdout.write(`${out.join('\n')}\n`);
        }
        const failing = accounts.some((a) => a.lastError) || Boolean(!status.daemon && status.daemonStopped);
        process.exitCode = failing ? EXIT.FAILURE : EXIT.OK;
      } finally {
        ctx.close();
      }
    });
}
