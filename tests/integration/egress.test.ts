// Only the mail server, quickly: sync, training (with its Python worker), GGUF export, a drafting
// pass and the daemon, each run under strace with a HOME of its own and an environment that even
// asks for onnxruntime telemetry (ORT_DISABLE_TELEMETRY=0). Any DNS query (a connect or send to
// port 53, /etc/resolv.conf read and then a UDP send) or any connect to a peer other than the
// IMAP server fails it, and so does a file under ~/.cache/Microsoft (onnxruntime's telemetry
// queue). The long fault test (daemon-faults.test.ts) checks the same on a fully trained model.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, newAccount, type TestAccount } from '../helpers/account.js';
import { dnsOrForeignTraffic, straceAvailable } from '../helpers/egress.js';
import { appendMessages } from '../helpers/mail.js';
import { personaThreads, seedPersonaMailbox } from '../helpers/persona.js';
import { tinyModel, tinyTrainSection } from '../helpers/tiny-model.js';

const server = inject('dovecot');
const DAY = 86_400_000;
const TRACE = 'trace=connect,execve,sendto,sendmsg,sendmmsg,openat';

describe.skipIf(!straceAvailable())('egress: only the IMAP server, no DNS, no telemetry', () => {
  let account: TestAccount;
  let home: string;
  let imap: string[];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    account = newAccount(server, {
      top:
        tinyTrainSection(tinyModel(), { max_steps: 4, eval_samples: 1 }) +
        '[drafts]\ntemperature = 0\nmax_age_days = 60\nmax_new_tokens = 16\n' +
        '[daemon]\nsync_cron = "0 0 1 1 *"\ntrain_cron = "0 0 1 1 *"\nmin_new_examples = 100000\n',
    });
    const client = await account.client();
    const { me } = await seedPersonaMailbox(client, `${account.user}@example.test`, 40);
    const fresh = personaThreads(me, 43, Date.now() - 42 * DAY - 3_600_000).slice(41);
    await appendMessages(
      client,
      'INBOX',
      fresh.map((t) => t.incomingRaw),
      [],
    );
    await client.logout();
    home = join(account.dir, 'home');
    mkdirSync(home);
    imap = [`${server.host}:${server.port}`];
    env = { ...process.env, HOME: home, XDG_CACHE_HOME: '', ORT_DISABLE_TELEMETRY: '0' };
  });

  /** Runs the CLI under strace; returns its result and what the trace shows. */
  function traced(label: string, args: string[]) {
    const out = join(account.dir, `strace-${label}.log`);
    const r = spawnSync(
      'strace',
      [
        '-f',
        '-qq',
        '-s',
        '256',
        '-e',
        TRACE,
        '-o',
        out,
        process.execPath,
        CLI,
        '--config',
        account.configFile,
        ...args,
      ],
      { encoding: 'utf8', env, timeout: 900_000 },
    );
    const trace = readFileSync(out, 'utf8');
    const found = dnsOrForeignTraffic(trace, imap);
    console.log(`${label} under strace: exit ${r.status}; ${found.length} DNS lookups or foreign connects`);
    return { ...r, trace, found };
  }

  it('sync, train (Python worker), export, draft: no DNS, no peer but the IMAP server', () => {
    const sync = traced('sync', ['sync', '--quiet']);
    expect(sync.status, sync.stderr).toBe(0);
    expect(sync.found).toEqual([]);
    expect(sync.trace).toMatch(new RegExp(`sin_port=htons\\(${server.port}\\)`));

    const train = traced('train', ['train']);
    expect(train.status, train.stderr).toBe(0);
    expect(train.trace, 'the Python worker ran under the trace').toMatch(/execve\(.*worker\.py/);
    expect(train.found).toEqual([]);

    const exported = traced('export', ['model', 'export', '1', '--gguf', join(account.dir, 'out.gguf')]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.found).toEqual([]);

    // A dry run generates with onnxruntime and touches nothing on the server.
    const draft = traced('draft', ['draft', '--dry-run', '--limit', '1']);
    expect(draft.status, draft.stderr).not.toBe(70);
    expect(draft.trace, 'onnxruntime loaded the model under the trace').toMatch(/onnx\/model\.onnx"/);
    expect(draft.found).toEqual([]);

    const telemetry = join(home, '.cache', 'Microsoft');
    expect(existsSync(telemetry), `${telemetry}: onnxruntime telemetry ran`).toBe(false);
  }, 1_200_000);

  it('the daemon: a drafting pass, then SIGTERM: no DNS, no peer but the IMAP server', async () => {
    const out = join(account.dir, 'strace-daemon.log');
    const child = spawn(
      'strace',
      [
        '-f',
        '-qq',
        '-s',
        '256',
        '-e',
        TRACE,
        '-o',
        out,
        process.execPath,
        CLI,
        '--config',
        account.configFile,
        'daemon',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr.on('data', (b: Buffer) => (log += b.toString()));
    child.on('error', () => {});
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const statusFile = join(account.config.dataDir, 'daemon-status.json');
    const deadline = Date.now() + 300_000;
    let pid = 0;
    for (;;) {
      try {
        const s = JSON.parse(readFileSync(statusFile, 'utf8'));
        const draft = s.jobs?.find((j: { kind: string }) => j.kind === 'draft');
        pid = s.pid;
        if (s.state === 'running' && draft?.runs >= 1 && !draft.running) break;
      } catch {}
      if (Date.now() > deadline) throw new Error(`no drafting pass within 300 s:\n${log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    process.kill(pid, 'SIGTERM');
    await exited;
    const trace = readFileSync(out, 'utf8');
    expect(trace, 'the daemon ran onnxruntime under the trace').toMatch(/onnx\/model\.onnx"/);
    const found = dnsOrForeignTraffic(trace, imap);
    console.log(`daemon under strace: ${found.length} DNS lookups or foreign connects`);
    expect(found).toEqual([]);
    expect(existsSync(join(home, '.cache', 'Microsoft'))).toBe(false);
  }, 600_000);
});
