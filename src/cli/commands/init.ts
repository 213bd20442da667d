// `understudy init`: the first run. Asks for the IMAP server, the user and how to get the secret
// (never the secret itself into the file), tests the connection, shows the folders it found by
// their special-use flags, and writes the config (0600). Every question has a flag, so it also
// runs unattended (--yes) from a provisioning script. `--add` appends another account to an
// existing config; a failed connection test still writes the answers (with a warning).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { type Config, parseConfig } from '../../config/load.js';
import { configFilePath } from '../../config/paths.js';
import { isLoopbackHost } from '../../config/schema.js';
import { disconnect } from '../../imap/connect.js';
import { listMailboxes } from '../../imap/discover.js';
import { openSession } from '../../imap/session.js';
import { CliError, describeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { assertReadableFile } from '../input-file.js';

interface InitOptions {
  name: string;
  host?: string;
  port?: string;
  tls?: string;
  user?: string;
  address?: string[];
  passwordCommand?: string;
  passwordEnv?: string;
  passwordFile?: string;
  keyring?: boolean;
  oauth2TokenCommand?: string;
  caFile?: string;
  add?: boolean;
  test: boolean;
  force?: boolean;
  yes?: boolean;
}

/** Providers that refuse a plain account password over IMAP, and what works instead. */
function providerAdvice(host: string): string | null {
  if (/(^|\.)gmail\.com$|googlemail/i.test(host))
    return 'Gmail refuses your Google password over IMAP: create an app password (Google Account → Security → App passwords; needs 2-step verification) or use oauth2_token_command.';
  if (/outlook\.office365\.com|office365|outlook\.com|hotmail|live\.com/i.test(host))
    return 'Outlook / Microsoft 365 accept only OAuth2 for IMAP: use oauth2_token_command with a tool that fetches a token (e.g. oama, mutt_oauth2.py).';
  if (/icloud|me\.com/i.test(host))
    return 'iCloud needs an app-specific password (appleid.apple.com → Sign-In and Security).';
  if (/yahoo/i.test(host)) return 'Yahoo needs an app password (Account security → Generate app password).';
  return null;
}

const toml = (s: string) => JSON.stringify(s); // a TOML basic string has JSON's escapes

/**
 * The TLS mode init offers when --tls is not given: the port decides when there is one (993 is
 * IMAP over TLS, RFC 8314 §3.3, whatever the host: a loopback stunnel or SSH tunnel to a 993 port
 * speaks TLS; 143 is plain IMAP, upgraded with STARTTLS except on loopback, where "none" is
 * allowed). Without a port: implicit, or none on loopback (the config's own default is implicit).
 * A CA certificate given (`--ca-file`) says the server speaks TLS: never none then, also on loopback
 * (a self-signed Dovecot on 127.0.0.1 and a high port was written as tls = "none", and its test failed).
 */
export function defaultTls(host: string, port: string | undefined, caFile?: string): 'implicit' | 'starttls' | 'none' {
  const loopback = isLoopbackHost(host) && !caFile;
  if (port !== undefined && Number(port) === 993) return 'implicit';
  if (port !== undefined && Number(port) === 143) return loopback ? 'none' : 'starttls';
  return loopback ? 'none' : 'implicit';
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .summary('set up your first account: server, user, secret; tests the connection and writes the config')
    .description(
      'Asks for what it needs (or takes it from the options), tests the connection, shows the Sent,\n' +
        'Drafts and Archive folders the server reports, and writes the config file with mode 0600.\n' +
        'The password itself never goes into the file: choose a password_command (e.g. `pass show mail`),\n' +
        'the OS keyring (then run `understudy secret set NAME`), an environment variable, a 0600 file,\n' +
        'or an OAuth2 token command (Gmail and Outlook refuse plain passwords: see the advice it prints).',
    )
    .option('--name <name>', 'a short label for the account', 'mail')
    .option('--host <host>', 'IMAP server, e.g. imap.fastmail.com')
    .option('--port <port>', 'port (default 993 for implicit TLS, 143 for STARTTLS)')
    .option('--tls <mode>', 'implicit (993), starttls (143) or none (loopback only); default: what --port is for')
    .option('--user <user>', 'login name, usually your address')
    .option('--address <email...>', 'your addresses (aliases); default: the login name if it is one')
    .option('--ca-file <path>', "the CA certificate (PEM) that signed your server's certificate (self-signed servers)")
    .option('--password-command <cmd>', 'a command that prints the password (first line)')
    .option('--password-env <var>', 'an environment variable that holds the password')
    .option('--password-file <path>', 'a file only you can read (0600) that holds the password')
    .option('--keyring', 'the OS keyring (store it with `understudy secret set NAME` afterwards)')
    .option('--oauth2-token-command <cmd>', 'a command that prints an OAuth2 access token')
    .option('--no-test', 'write the config without testing the connection')
    .option('--force', 'replace an existing config file')
    .option('--add', 'add this account to an existing config file (give it another --name)')
    .option('--yes', 'never ask: fail if something is missing')
    .addHelpText(
      'after',
      '\nExit codes: 0 written, 64 missing answers (--yes) or the account name is taken (--add), 73 config\n' +
        'exists (use --add or --force), 69/75/77 connection test failed (the config is written anyway, with\n' +
        'a warning: fix what it says and run understudy config check), 66 the --ca-file cannot be read.',
    )
    .action(async (opts: InitOptions, command: Command) => {
      // An input file named on the command line that is not there: 66 before anything is asked
      // or written, as for every command (a config pointing at it would fail every connection).
      if (opts.caFile) assertReadableFile(opts.caFile, 'the CA certificate', '--ca-file');
      const globals = command.optsWithGlobals() as { config?: string };
      const file = configFilePath(globals.config);
      const exists = existsSync(file);
      if (exists && !opts.force && !opts.add)
        throw new CliError(
          `${file} already exists; add another account to it with init --add --name NAME, edit it, or run init --force to replace it`,
          'INIT_EXISTS',
          EXIT.CANTCREAT,
        );
      // --add: the file as it is (comments and all) plus one [[accounts]] block; it must be valid first.
      const existing = opts.add && exists ? readFileSync(file, 'utf8') : null;
      const existingConfig = existing === null ? null : parseConfig(existing, file);
      const interactive = !opts.yes && process.stdin.isTTY;
      const rl = interactive ? createInterface({ input: process.stdin, output: process.stderr }) : null;
      const missing: string[] = [];
      const ask = async (flag: string, question: string, fallback?: string): Promise<string> => {
        if (!rl) {
          if (fallback !== undefined) return fallback;
          missing.push(flag);
          return '';
        }
        const answer = (await rl.question(`${question}${fallback ? ` [${fallback}]` : ''}: `)).trim();
        return answer || fallback || (await ask(flag, question, fallback));
      };
      try {
        const taken = new Set(existingConfig?.accounts.map((a) => a.name) ?? []);
        let name = opts.name;
        while (taken.has(name)) {
          if (!rl)
            throw new CliError(
              `${file} already has an account named "${name}"; give the new one another name with --name`,
              'INIT_NAME_TAKEN',
              EXIT.USAGE,
            );
          name = await ask('--name', `"${name}" is taken (${[...taken].join(', ')}); a name for this account`);
        }
        const host = opts.host ?? (await ask('--host', 'IMAP server (e.g. imap.fastmail.com)'));
        const advice = host ? providerAdvice(host) : null;
        if (advice) process.stderr.write(`note: ${advice}\n`);
        const tls =
          opts.tls ??
          (await ask(
            '--tls',
            'TLS: implicit (993), starttls (143) or none (loopback only)',
            defaultTls(host, opts.port, opts.caFile),
          ));
        const port = opts.port ?? (await ask('--port', 'port', tls === 'implicit' ? '993' : '143'));
        const user = opts.user ?? (await ask('--user', 'login name'));
        // Your addresses tell your own mail from others' (sent replies, Cc, reply-all): a login
        // like "anna" is no address, so ask rather than write addresses = [] (issue 15).
        const addresses =
          opts.address ??
          (
            await ask(
              '--address',
              'your email addresses, comma-separated (the ones you send from)',
              user.includes('@') ? user : undefined,
            )
          )
            .split(/[\s,]+/)
            .filter(Boolean);
        let secret: string;
        if (opts.passwordCommand) secret = `password_command = ${toml(opts.passwordCommand)}`;
        else if (opts.passwordEnv) secret = `password_env = ${toml(opts.passwordEnv)}`;
        else if (opts.passwordFile) secret = `password_file = ${toml(opts.passwordFile)}`;
        else if (opts.keyring) secret = 'password_keyring = true';
        else if (opts.oauth2TokenCommand) secret = `oauth2_token_command = ${toml(opts.oauth2TokenCommand)}`;
        else {
          const how = await ask(
            '--password-command (or --keyring, --password-env, --password-file, --oauth2-token-command)',
            'how does Understudy get the password? 1 a command (e.g. pass show mail), 2 the OS keyring, 3 an environment variable, 4 a 0600 file, 5 an OAuth2 token command',
            '1',
          );
          const pick: Record<string, [string, string]> = {
            '1': ['password_command', 'the command'],
            '3': ['password_env', 'the variable name'],
            '4': ['password_file', 'the file'],
            '5': ['oauth2_token_command', 'the token command'],
          };
          if (how === '2') secret = 'password_keyring = true';
          else {
            const [key, what] = pick[how] ?? ['password_command', 'the command'];
            secret = `${key} = ${toml(await ask(`--${key.replace(/_/g, '-')}`, what))}`;
          }
        }
        if (missing.length)
          throw new CliError(
            `init needs ${missing.join(', ')} (run it in a terminal to be asked)`,
            'INIT_MISSING',
            EXIT.USAGE,
          );

        let caFile = opts.caFile;
        const render = () =>
          configText(existing, {
            name,
            host,
            port: Number(port),
            tls,
            user,
            addresses,
            secret,
            ...(caFile ? { caFile } : {}),
          });
        let text = render();
        let config = parseConfig(text, file); // the same validation as every other command: all problems at once
        let failure: ReturnType<typeof describeError> | null = null;
        if (secret === 'password_keyring = true')
          process.stderr.write(`store the password in the keyring next: understudy secret set ${name}\n`);
        else if (opts.test) {
          for (;;) {
            failure = await testConnection(config, name);
            // A self-signed or private-CA server: ask for the CA that signed it (or name the flag)
            // instead of ending there (issue 15).
            if (failure?.code !== 'TLS_UNTRUSTED') break;
            if (!rl) {
              failure = {
                ...failure,
                message: `${failure.message}\n  or run init again with --ca-file /path/to/ca.pem`,
              };
              break;
            }
            const answer = (
              await rl.question(
                "the server's certificate is not trusted: the CA certificate (PEM) that signed it, e.g. /etc/ssl/my-ca.pem (empty: write the config without it): ",
              )
            ).trim();
            if (!answer) break;
            caFile = answer;
            text = render();
            config = parseConfig(text, file);
          }
        }
        writeConfig(file, text, { replace: Boolean(opts.force || existing !== null) });
        if (failure) {
          // The answers are kept: fixing one value in the file beats answering everything again.
          process.stderr.write(
            `warning: the connection test failed: ${failure.message}\nwrote ${file} anyway with your answers: fix the problem in it, then run understudy config check\n`,
          );
          process.exitCode = failure.exitCode;
          return;
        }
        process.stdout.write(
          existing !== null
            ? `added account ${name} to ${file} (${config.accounts.length} accounts)\nnext: understudy sync --account ${name}\n`
            : `wrote ${file}\nnext: understudy model pull    (the base model, once)\n      understudy sync          (mirror your mail)\n      understudy train         (learn your style)\n      understudy service install (drafts from then on, in the background)\n`,
        );
      } finally {
        rl?.close();
      }
    });
}

interface NewAccount {
  name: string;
  host: string;
  port: number;
  tls: string;
  user: string;
  addresses: string[];
  /** The secret line as TOML (`password_command = "…"` etc.). */
  secret: string;
  caFile?: string;
}

/** The config file's text: a new file with one account, or `existing` with the account appended. */
function configText(existing: string | null, a: NewAccount): string {
  const block = `[[accounts]]
name = ${toml(a.name)}
host = ${toml(a.host)}
port = ${a.port}
tls = ${toml(a.tls)}
user = ${toml(a.user)}
addresses = [${a.addresses.map(toml).join(', ')}]
${a.secret}
${a.caFile ? `ca_file = ${toml(a.caFile)}\n` : ''}`;
  if (existing !== null) return `${existing.trimEnd()}\n\n${block}`;
  return `# Written by understudy init. Every setting: config/understudy.example.toml; check it with
# understudy config check.
# log_level is the daemon's log (commands print plain messages; add --log-level to see theirs).
log_level = "info"

${block}`;
}

/**
 * Connects as account `name` of `config`, lists the folders and says which it found.
 * @returns null when it worked, else the failure as the CLI reports it (message, code, exit code).
 */
async function testConnection(config: Config, name: string): Promise<ReturnType<typeof describeError> | null> {
  const account = config.accounts.find((a) => a.name === name);
  if (!account)
    return { message: `the config has no account ${name}`, code: 'INIT_NO_ACCOUNT', exitCode: EXIT.SOFTWARE };
  process.stderr.write(`connecting to ${account.host}:${account.port} as ${account.user}…\n`);
  try {
    const client = await (await openSession({ account, settings: config.sync })).connect();
    try {
      const boxes = await listMailboxes(client, account.folders);
      const role = (r: string) => boxes.find((b) => b.specialUse === r)?.path ?? '(not flagged by the server)';
      process.stderr.write(
        `connected: ${boxes.length} folders; Sent: ${role('\\Sent')}, Drafts: ${role('\\Drafts')}, Archive: ${role('\\Archive')}\n`,
      );
      if (!boxes.some((b) => b.specialUse === '\\Drafts'))
        process.stderr.write('note: the server flags no Drafts folder: set folders.drafts in the config\n');
    } finally {
      await disconnect(client);
    }
    return null;
  } catch (err) {
    return describeError(err);
  }
}

/**
 * Writes the config with mode 0600: a new file exclusively (never over one that appeared in the
 * meantime), a replaced or extended one through a temporary file and a rename, so a crash
 * leaves the old file or the new one, never half of one.
 */
function writeConfig(file: string, text: string, options: { replace: boolean }): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (!options.replace) {
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    return;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'w' });
  renameSync(tmp, file);
}
