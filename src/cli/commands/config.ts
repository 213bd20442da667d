// `understudy config check`: validate the config, show it resolved (secrets masked), and check
// that every secret can be obtained.
import type { Command } from 'commander';
import type { AccountConfig, Config, SyncSettings } from '../../config/load.js';
import { type Credential, resolveSecret } from '../../config/secrets.js';
import { connect, disconnect } from '../../imap/connect.js';
import { type ExcludedSent, listMailboxes, selectMailboxes, type UnmatchedGlob } from '../../imap/discover.js';
import { CliContext } from '../context.js';
import { describeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { writeJsonError } from '../json-error.js';
import { printable } from '../printable.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').summary('inspect the configuration');
  config
    .command('check')
    .summary('validate the config and show it resolved, secrets masked')
    .description(
      'Reads the config file, reports every problem at once (key, what is wrong, how to fix it),\n' +
        "and otherwise prints the resolved settings. Each account's secret is fetched once to check\n" +
        'that it can be (it is never printed), and folders.include/exclude globs are checked against\n' +
        "the server's mailboxes (a glob that matches none is reported); --no-secrets skips both.\n" +
        'It also shows the [train], [drafts] and [daemon] settings, the base model folder and the\n' +
        'Python (with PyTorch) that `understudy train` will use.',
    )
    .option('--json', 'print as JSON on stdout')
    .option('--no-secrets', 'do not run password commands or read the keyring')
    .action(async (opts: { json?: boolean; secrets: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      let resolved: Config;
      try {
        resolved = ctx.config;
      } catch (err) {
        // A script asked for JSON: give it the problems as JSON too (the text still goes to stderr),
        // with the `ok: false, error` every command's --json failure has (src/cli/json-error.ts).
        if (opts.json) writeJsonError(err, describeError(err), invalidConfigJson(err));
        throw err;
      }
      const secrets: Record<string, string> = {};
      const folders: Record<string, FolderCheck> = {};
      let failed = false;
      for (const account of resolved.accounts) {
        if (!opts.secrets) {
          secrets[account.name] = 'not checked';
          continue;
        }
        try {
          const credential = await resolveSecret(account);
          secrets[account.name] =
            `ok (${credential.type === 'accessToken' ? 'OAuth2 token' : 'password'} read; never printed)`;
          folders[account.name] = await checkFolders(account, resolved.sync, credential);
        } catch (err) {
          failed = true;
          secrets[account.name] = `FAILED: ${describeError(err).message}`;
        }
      }
      const shown = {
        // valid: the file validates; ok: and every secret that was checked could be read (exit 0).
        valid: true,
        ok: !failed,
        file: resolved.file,
        dataDir: resolved.dataDir,
        database: resolved.dbPath,
        logLevel: resolved.logLevel,
        sync: resolved.sync,
        dataset: resolved.dataset,
        train: resolved.train,
        drafts: resolved.drafts,
        daemon: resolved.daemon,
        // What `train` will use: the base model folder and the Python (issue 15: both were hidden).
        baseModel: await baseModelState(resolved),
        python: await pythonState(resolved.train.python),
        accounts: resolved.accounts.map((a) => ({
          ...a,
          secret: { source: describeSource(a.secret), check: secrets[a.name] },
          folderCheck:
            folders[a.name] ??
            (a.folders.include.length + a.folders.exclude.length
              ? { checked: false, note: 'not checked against the server (--no-secrets, or the secret failed)' }
              : { checked: false }),
        })),
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      else {
        const out = [
          `config ${resolved.file} is valid`,
          `  data dir: ${resolved.dataDir}`,
          `  log level: ${resolved.logLevel}`,
        ];
        out.push(
          `  sync: batches of ${resolved.sync.batchSize}, text parts up to ${resolved.sync.maxPartBytes / 1024} KiB, ${resolved.sync.parallelMailboxes} connections, ${resolved.sync.retries} retries`,
        );
        const t = resolved.train;
        out.push(
          `  train: base model ${t.baseModel} — ${shown.baseModel.dir ? `at ${shown.baseModel.dir}` : `NOT READY: ${shown.baseModel.problem}`}`,
          `    python: ${shown.python.executable ? `${shown.python.executable} (torch ${shown.python.torch})` : `NOT FOUND: ${shown.python.problem}`}`,
          `    device ${t.device}, LoRA r ${t.lora.r} alpha ${t.lora.alpha}, learning rate ${t.learningRate}, ${t.maxSteps ? `${t.maxSteps} steps` : `${t.epochs} epochs`}, batch ${t.batchSize}×${t.gradAccum}, max ${t.maxSeqLen} tokens, nice ${t.nice}`,
        );
        const d = resolved.drafts;
        out.push(
          `  drafts: messages up to ${d.maxAgeDays} days old, at most ${d.limit} per run, reply ${d.replyAll ? 'to all' : 'to the sender'}${d.replyWhenCc ? ', also when only in Cc' : ''}, ${d.maxNewTokens} tokens at temperature ${d.temperature}` +
            `${d.excludeSenders.length + d.excludeDomains.length ? `; never for ${[...d.excludeSenders, ...d.excludeDomains].join(', ')}` : ''}`,
        );
        const dm = resolved.daemon;
        out.push(
          `  daemon: sync "${dm.syncCron}", train "${dm.trainCron}" when ${dm.minNewExamples} new examples${dm.idle ? ', IMAP IDLE on' : ''}`,
        );
        for (const a of shown.accounts) {
          out.push(
            `  account ${a.name}: ${a.user} at ${a.host}:${a.port} (tls ${a.tls}${a.caFile ? `, ca_file ${a.caFile}` : ''}${a.tlsRejectUnauthorized ? '' : ', CERTIFICATE NOT VERIFIED'})`,
          );
          out.push(`    secret: ${a.secret.source} — ${a.secret.check}`);
          out.push(`    addresses: ${a.addresses.join(', ') || '(none; add addresses = [...] for aliases)'}`);
          out.push(
            `    folders: INBOX, \\Sent, \\Archive, \\All${a.folders.include.length ? ` + ${a.folders.include.join(', ')}` : ''}${a.folders.exclude.length ? ` − ${a.folders.exclude.join(', ')}` : ''}`,
          );
          const check = a.folderCheck;
          if (check.note) out.push(`    folder globs: ${check.note}`);
          for (const u of check.unmatched ?? [])
            out.push(
              `    WARNING: ${u.message}\n      fix: write the folder as your mail client shows it, e.g. "Archive" or "Archive/**"`,
            );
          for (const x of check.excludedSent ?? [])
            out.push(`    WARNING: ${printable(x.message)}\n      fix: ${printable(x.fix)}`);
        }
        process.stdout.write(`${out.join('\n')}\n`);
      }
      process.exitCode = failed ? EXIT.CONFIG : EXIT.OK;
      ctx.close();
    });
}

/** The base model folder `train` will use, or why there is none yet (never downloads). */
async function baseModelState(config: Config): Promise<{ name: string; dir: string | null; problem: string | null }> {
  try {
    // Loaded here only: only this line of config check needs base-model resolution.
    const { resolveBaseModel } = await import('../../model/base-model.js');
    return { name: config.train.baseModel, dir: resolveBaseModel(config).dir, problem: null };
  } catch (err) {
    return { name: config.train.baseModel, dir: null, problem: describeError(err).message };
  }
}

/** The Python with PyTorch `train` will run (train.python, $UNDERSTUDY_PYTHON, python3), or why none. */
async function pythonState(
  configured: string | undefined,
): Promise<{ executable: string | null; torch: string | null; problem: string | null }> {
  try {
    const { findPython } = await import('../../worker/python.js');
    const found = findPython(configured);
    return { executable: found.executable, torch: found.torch, problem: null };
  } catch (err) {
    return { executable: null, torch: null, problem: describeError(err).message };
  }
}

function describeSource(source: import('../../config/load.js').SecretSource): string {
  switch (source.kind) {
    case 'command':
      return `password_command "${source.command}"`;
    case 'oauth2_command':
      return `oauth2_token_command "${source.command}"`;
    case 'env':
      return `environment variable ${source.name}`;
    case 'file':
      return `password_file ${source.path}`;
    case 'keyring':
      return `OS keyring (service "${source.service}", user "${source.user}")`;
  }
}

interface FolderCheck {
  checked: boolean;
  unmatched?: UnmatchedGlob[];
  /** folders.exclude leaves out the server's sent-mail folder (\\Sent, or folders.sent). */
  excludedSent?: ExcludedSent[];
  note?: string;
}

/**
 * Lists the account's mailboxes and reports the include/exclude globs that match none of them.
 * Connects only when there are globs to check; a server that cannot be reached is a note here
 * (`understudy sync` reports connection problems with their fix), not a config error.
 */
async function checkFolders(account: AccountConfig, sync: SyncSettings, credential: Credential): Promise<FolderCheck> {
  if (account.folders.include.length + account.folders.exclude.length === 0) return { checked: false };
  try {
    // A short timeout: a config check should answer promptly even when the server does not.
    const client = await connect({ account, settings: { timeoutMs: Math.min(sync.timeoutMs, 15_000) }, credential });
    try {
      const { unmatched, excludedSent } = selectMailboxes(
        await listMailboxes(client, account.folders),
        account.folders,
      );
      return {
        checked: true,
        unmatched,
        ...(excludedSent.length ? { excludedSent } : {}),
        note: unmatched.length
          ? `${unmatched.length} of them match no mailbox`
          : 'each matches a mailbox on the server',
      };
    } finally {
      await disconnect(client);
    }
  } catch (err) {
    return { checked: false, note: `not checked: ${describeError(err).message}` };
  }
}

/**
 * `config check --json` for a file that does not validate: `{valid: false, file, code, problems}`
 * where problems are the ConfigError's `{path, message, fix}` entries; any other error gives
 * `{valid: false, code, message}`. Matched by name, not instanceof: the daemon is its own bundle.
 */
function invalidConfigJson(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: string; file?: string; problems?: unknown[]; message?: string };
  if (e?.name === 'ConfigError') return { valid: false, file: e.file, code: e.code, problems: e.problems };
  return { valid: false, code: e?.code ?? 'UNKNOWN', message: e?.message ?? String(err) };
}
