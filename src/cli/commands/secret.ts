// `understudy secret set ACCOUNT`: store an account's password in the OS keyring.
import type { Command } from 'commander';
import { SecretError } from '../../config/errors.js';
import { storeKeyringSecret } from '../../config/secrets.js';
import { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

export function registerSecret(program: Command): void {
  const secret = program.command('secret').summary('manage secrets in the OS keyring');
  secret
    .command('set')
    .argument('<account>', 'account name from the config')
    .summary('store the password of an account in the OS keyring')
    .description(
      'Asks for the password (not echoed) or reads its first line from stdin, and stores it in the\n' +
        'OS keyring (Secret Service on Linux, Keychain on macOS) under the entry that\n' +
        'password_keyring of that account names. The password is never written to disk by Understudy.',
    )
    .action(async (name: string, _opts: unknown, command: Command) => {
      const ctx = CliContext.from(command);
      const account = ctx.config.accounts.find((a) => a.name === name);
      if (!account) throw new CliError(`no account named "${name}"`, 'UNKNOWN_ACCOUNT');
      if (account.secret.kind !== 'keyring') {
        throw new CliError(
          `account "${name}" does not use password_keyring; set password_keyring = true first`,
          'NOT_KEYRING',
          EXIT.CONFIG,
        );
      }
      const value = await readSecret(`Password for ${account.user} at ${account.host}: `);
      if (!value) throw new CliError('no password given', 'EMPTY_SECRET');
      try {
        await storeKeyringSecret(account.name, account.secret.service, account.secret.user, value);
      } catch (err) {
        // Same words as the other secret errors, but this is storing, not reading.
        if (err instanceof SecretError)
          throw new CliError(`cannot store the password for ${err.message}`, err.code, EXIT.CONFIG, err);
        throw err;
      }
      process.stdout.write(
        `stored in the OS keyring (service "${account.secret.service}", user "${account.secret.user}")\n`,
      );
    });
}

/** Reads one line without echo on a terminal, or the first line of piped stdin. */
async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/, 1)[0] ?? '').trim();
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled; nothing was stored', 'CANCELLED', EXIT.CANCELLED));
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    stdin.on('data', onData);
  });
}
