// The pairing tests' common setup: put the incoming and sent messages on the real Dovecot, sync them
// with the built CLI, build the dataset and read back what it paired and dropped (`dataset show`).
import { expect } from 'vitest';
import { runCli, type TestAccount } from './account.js';
import { appendMessages } from './mail.js';

/** Appends `inbox` to INBOX and `sent` to Sent, syncs and builds; `pairs` as `dataset show --json` gives them. */
export async function syncAndBuild<P>(
  account: TestAccount,
  inbox: string[],
  sent: string[],
): Promise<{ pairs: P[]; dropped: Record<string, number>; cli: (...args: string[]) => ReturnType<typeof runCli> }> {
  const cli = (...args: string[]) => runCli(['--config', account.configFile, ...args]);
  const client = await account.client();
  await appendMessages(client, 'INBOX', inbox);
  await appendMessages(client, 'Sent', sent);
  await client.logout();
  expect((await cli('sync', '--quiet')).code).toBe(0);
  const build = await cli('dataset', 'build', '--json');
  expect(build.code, build.stderr).toBe(0);
  const dropped = JSON.parse(build.stdout).accounts[0].dropped;
  const pairs = JSON.parse((await cli('dataset', 'show', '--sample', '0', '--json')).stdout).pairs;
  return { pairs, dropped, cli };
}
