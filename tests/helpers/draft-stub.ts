// Test-only: runs the real drafting run (sync, triage, compose, journal, APPEND, retire,
// feedback) with a fixed generator in place of the model, as a process of its own, so outbox
// tests can SIGKILL it at a fault point (UNDERSTUDY_FAULT) without training a model first.
//   node --import tsx tests/helpers/draft-stub.ts CONFIG [--dry-run] [--no-sync]
// STUB_REPLY: the text the "model" writes; STUB_CALLS: a file that gets one line per generation.
// Prints the run summaries as JSON on stdout.
import { appendFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load.js';
import type { DraftModel } from '../../src/drafts/model.js';
import { draftReplies } from '../../src/drafts/run.js';
import { syncAccount } from '../../src/imap/sync-account.js';
import { openStore } from '../../src/store/db.js';

const [configPath, ...flags] = process.argv.slice(2);
const config = loadConfig({ configPath });
const db = openStore(config.dbPath);
const text = process.env.STUB_REPLY ?? 'Thank you, that works for me. I will send the details tomorrow.\n\nBest,\nAnna';
const model = {
  mode: 'model',
  version: null,
  dir: 'stub',
  generator: {
    async reply() {
      if (process.env.STUB_CALLS) appendFileSync(process.env.STUB_CALLS, 'generated\n');
      return { text, ids: [1, 2, 3], stoppedBy: 'end_of_turn', promptTokens: 10, prefillMs: 1, decodeMs: 1 };
    },
    async close() {},
  },
} as unknown as DraftModel;
const out = [];
for (const account of config.accounts) {
  if (!flags.includes('--no-sync')) await syncAccount({ db, account, settings: config.sync });
  out.push(await draftReplies({ db, config, account, dryRun: flags.includes('--dry-run'), model: async () => model }));
}
process.stdout.write(`${JSON.stringify(out)}\n`);
db.close();
process.exit(0);
