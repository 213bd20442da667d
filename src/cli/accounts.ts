// The `--account NAME` option of the commands that work per account.
import type { AccountConfig } from '../config/load.js';
import { CliError } from './errors.js';

/** Every account, or the one named; an unknown name is an error that lists the known ones. */
export function pickAccounts(all: AccountConfig[], name: string | undefined): AccountConfig[] {
  if (!name) return all;
  const found = all.filter((a) => a.name === name);
  if (!found.length)
    throw new CliError(
      `no account named "${name}" in the config; known: ${all.map((a) => a.name).join(', ')}`,
      'UNKNOWN_ACCOUNT',
    );
  return found;
}
