// Benchmark: prompting vs fine-tuning. On the persona mailbox and on one Enron user (mann-k: her
// own replies, the dataset's time split), train the tiny model as the tests do, then score both
// routes on the held-out messages exactly as `understudy train` does (ONNX generator, greedy):
// the prompted route (the base model shown a few of the user's past replies) and the tuned
// version. Prints one JSON line per dataset.   npm run bench:routes
//
// A tiny model made from scratch knows no language, so its prompted route is near chance and
// the numbers say little about real base models; the same command with `BENCH_BASE_MODEL` set
// to a real base model folder (and a GPU: BENCH_DEVICE=cuda) gives the number that matters.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { syncAccount } from '../src/imap/sync-account.js';
import { openStore } from '../src/store/db.js';
import { trainModel } from '../src/train/run.js';
import { addUser, startDovecot } from '../tests/helpers/dovecot.js';
import { personaThreads } from '../tests/helpers/persona.js';
import { tinyModel, tinyTrainSection } from '../tests/helpers/tiny-model.js';
import { type SeedMessage, writeMaildir } from './lib/seed-mailbox.js';

const ENRON = resolve(import.meta.dirname, '../../shared/corpora/enron');
const ENRON_USER = process.env.BENCH_ENRON_USER ?? 'mann-k';
const ENRON_ADDRESSES: Record<string, string> = {
  'mann-k': 'kay.mann@enron.com',
  'allen-p': 'phillip.allen@enron.com',
  'grigsby-m': 'mike.grigsby@enron.com',
};
const STEPS = Number(process.env.BENCH_STEPS ?? 200);
const BASE = process.env.BENCH_BASE_MODEL;
const DEVICE = process.env.BENCH_DEVICE ?? 'cpu';
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Mailbox {
  name: string;
  address: string;
  inbox: Buffer[];
  sent: Buffer[];
}

function personaMailbox(): Mailbox {
  const address = 'anna@example.test';
  const threads = personaThreads(`Anna de Vries <${address}>`, 96);
  return {
    name: 'persona',
    address,
    inbox: threads.map((t) => Buffer.from(t.incomingRaw)),
    sent: threads.map((t) => Buffer.from(t.replyRaw)),
  };
}

/** One Enron user's folders: inbox → INBOX, every other folder (her sent mail) → Sent. */
function enronMailbox(user: string): Mailbox {
  const inbox: Buffer[] = [];
  const sent: Buffer[] = [];
  for (const folder of readdirSync(join(ENRON, user))) {
    for (const file of readdirSync(join(ENRON, user, folder)))
      (folder === 'inbox' ? inbox : sent).push(readFileSync(join(ENRON, user, folder, file)));
  }
  return { name: `enron/${user}`, address: ENRON_ADDRESSES[user] ?? `${user}@enron.com`, inbox, sent };
}

async function run(box: Mailbox): Promise<Record<string, unknown>> {
  const server = await startDovecot();
  const work = mkdtempSync(join(tmpdir(), 'understudy-bench-routes-'));
  try {
    const { user, password } = addUser(server.info, 'routes');
    const owner = { uid: server.info.mailUid, gid: server.info.mailGid };
    const seed = (raw: Buffer[]): SeedMessage[] => raw.map((r) => ({ raw: r, messageId: '', flags: 'S' }));
    writeMaildir(server.info.mailRoot, user, 'INBOX', seed(box.inbox), owner);
    writeMaildir(server.info.mailRoot, user, 'Sent', seed(box.sent), owner);
    const secret = join(work, 'pass');
    writeFileSync(secret, `${password}\n`, { mode: 0o600 });
    const configFile = join(work, 'config.toml');
    const model = BASE ?? tinyModel();
    writeFileSync(
      configFile,
      `data_dir = "${join(work, 'data')}"\nlog_level = "warn"\n` +
        tinyTrainSection(model, { max_steps: STEPS, eval_samples: 24, lora_dropout: '0.0', device: `"${DEVICE}"` }) +
        `[[accounts]]\nname = "bench"\nhost = "127.0.0.1"\nport = ${server.info.port}\ntls = "none"\nuser = "${user}"\n` +
        `addresses = ["${box.address}"]\npassword_file = "${secret}"\n`,
      { mode: 0o600 },
    );
    const config = loadConfig({ configPath: configFile });
    const db = openStore(config.dbPath);
    try {
      await syncAccount({ db, account: config.accounts[0]!, settings: config.sync });
      const t0 = Date.now();
      let lastLog = 0;
      const r = await trainModel({
        db,
        config,
        onProgress: (p) => {
          if (p.phase === 'train' && p.step && Date.now() - lastLog > 30_000) {
            lastLog = Date.now();
            log(`${box.name}: step ${p.step}/${p.steps} loss ${p.loss?.toFixed(3)}`);
          } else if (p.phase !== 'train') log(`${box.name}: ${p.phase}${p.message ? ` ${p.message}` : ''}`);
        },
      });
      const round = (x: number | null, digits = 3) => (x === null ? null : Number(x.toFixed(digits)));
      log(`${box.name}: ${r.promoted ? 'promoted' : 'not promoted'}: ${r.decision}`);
      return {
        bench: 'routes',
        dataset: box.name,
        base_model: BASE ? model : 'tiny (random, made by models/make_tiny_model.py)',
        examples: r.shards.splits.train.examples + r.shards.splits.eval.examples,
        held_out: r.evaluation.samples,
        steps: r.steps,
        device: r.device,
        train_s: Math.round((Date.now() - t0) / 1000),
        prompted_loss: round(r.prompted.loss),
        tuned_loss: round(r.evaluation.loss),
        prompted_chrf: round(r.prompted.chrf, 1),
        tuned_chrf: round(r.evaluation.chrf, 1),
        prompted_style: round(r.prompted.style, 2),
        tuned_style: round(r.evaluation.style, 2),
        prompted_length_ratio: round(r.prompted.lengthRatio, 2),
        tuned_length_ratio: round(r.evaluation.lengthRatio, 2),
        promoted: r.promoted,
      };
    } finally {
      db.close();
    }
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  const which = (process.env.BENCH_DATASETS ?? 'persona,enron').split(',');
  const boxes = [
    ...(which.includes('persona') ? [personaMailbox()] : []),
    ...(which.includes('enron') ? [enronMailbox(ENRON_USER)] : []),
  ];
  for (const box of boxes) process.stdout.write(`${JSON.stringify(await run(box))}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench:routes failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
