// The Enron slice (../shared/corpora/enron) as a synced Understudy account: every message written into a fresh
// Dovecot's Maildir (inbox → INBOX, the sent folders → Sent), a config pointing at it, and one `understudy sync`.
// Used by bench:dataset and bench:pairing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addUser, startDovecot } from '../../tests/helpers/dovecot.js';
import { writeMaildir } from './seed-mailbox.js';

export const ENRON = resolve(import.meta.dirname, '../../../shared/corpora/enron');
const CLI = resolve(import.meta.dirname, '../../bin/understudy.js');

/** The three users' addresses, as their Sent mail and the quoted header blocks name them. */
export const ENRON_ADDRESSES = ['kay.mann@enron.com', 'phillip.allen@enron.com', 'mike.grigsby@enron.com'];

export interface EnronFile {
  /** "allen-p/sent_items/57." as in manifest.jsonl */
  rel: string;
  path: string;
  mailbox: 'INBOX' | 'Sent';
  bytes: Buffer;
}

/** Every Enron message file, with the folder role it goes to (inbox → INBOX, every other folder → Sent). */
export function enronFiles(): EnronFile[] {
  const out: EnronFile[] = [];
  for (const user of readdirSync(ENRON, { withFileTypes: true })) {
    if (!user.isDirectory() || user.name === 'licenses') continue;
    for (const folder of readdirSync(join(ENRON, user.name))) {
      const mailbox = folder === 'inbox' ? 'INBOX' : 'Sent';
      for (const file of readdirSync(join(ENRON, user.name, folder))) {
        const path = join(ENRON, user.name, folder, file);
        out.push({ rel: `${user.name}/${folder}/${file}`, path, mailbox, bytes: readFileSync(path) });
      }
    }
  }
  return out;
}

/** Runs the built CLI; throws with its stderr when it fails. */
export function cli(args: string[]): { seconds: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`understudy ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { seconds, stdout: r.stdout };
}

export interface EnronAccount {
  config: string;
  synced: number;
  syncSeconds: number;
  stop(): Promise<void>;
}

/** Starts Dovecot, loads the files into one account and syncs it with the built CLI (`node scripts/build.mjs` first). */
export async function syncedEnronAccount(files: readonly EnronFile[]): Promise<EnronAccount> {
  const server = await startDovecot();
  const work = mkdtempSync(join(tmpdir(), 'understudy-bench-enron-'));
  const stop = async () => {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const { user, password } = addUser(server.info, 'enron');
    const owner = { uid: server.info.mailUid, gid: server.info.mailGid };
    for (const mailbox of ['INBOX', 'Sent'] as const) {
      const messages = files
        .filter((f) => f.mailbox === mailbox)
        .map((f) => ({ raw: f.bytes, messageId: '', flags: 'S' }));
      writeMaildir(server.info.mailRoot, user, mailbox, messages, owner);
    }
    const secret = join(work, 'pass');
    writeFileSync(secret, `${password}\n`, { mode: 0o600 });
    const config = join(work, 'config.toml');
    writeFileSync(
      config,
      `data_dir = "${join(work, 'data')}"\nlog_level = "warn"\n[[accounts]]\nname = "enron"\nhost = "127.0.0.1"\nport = ${server.info.port}\ntls = "none"\nuser = "${user}"\n` +
        `addresses = ${JSON.stringify(ENRON_ADDRESSES)}\npassword_file = "${secret}"\n`,
    );
    const sync = cli(['--config', config, 'sync', '--quiet', '--json']);
    const synced = JSON.parse(sync.stdout).accounts[0].mailboxes.reduce(
      (n: number, m: { exists: number }) => n + m.exists,
      0,
    );
    return { config, synced, syncSeconds: sync.seconds, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
