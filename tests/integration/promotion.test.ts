// Honest promotion, on the persona mailbox (real Dovecot, real store) with the tiny model: every
// training evaluates the prompted route (the base model shown a few of Anna's past replies, the
// cold start of drafting) and the tuned version on the same held-out messages through the ONNX
// generator, stores both routes' scores per message, and promotes only a measured win. A version
// trained on the right replies is promoted; one trained on wrong replies (each Dutch message
// answered with an English reply to someone else, and the other way round) is not, and says why.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { syncAccount } from '../../src/imap/sync-account.js';
import { listVersions } from '../../src/model/registry.js';
import { accountIdByName } from '../../src/store/accounts.js';
import { type Db, openStore } from '../../src/store/db.js';
import { evaluationOf, evaluationScores, listEvaluations } from '../../src/store/evaluations.js';
import { storedExamples } from '../../src/store/examples.js';
import { trainingCurves } from '../../src/store/training-runs.js';
import { trainModel } from '../../src/train/run.js';
import { newAccount, type TestAccount } from '../helpers/account.js';
import { seedPersonaMailbox } from '../helpers/persona.js';
import { tinyModel, tinyTrainSection } from '../helpers/tiny-model.js';

const server = inject('dovecot');
// Enough for the tiny model to tell Dutch mail from English mail (which wrong replies invert),
// few enough to keep this file to a few minutes on two CPU cores.
const STEPS = Number(process.env.UNDERSTUDY_TEST_PROMOTION_STEPS ?? 120);

describe('promotion: prompted route vs tuned version', () => {
  let account: TestAccount;
  let db: Db;
  let accountId: number;

  beforeAll(async () => {
    account = newAccount(server, {
      top: `${tinyTrainSection(tinyModel(), { max_steps: STEPS, eval_samples: 8, lora_dropout: '0.0' })}[dataset]\neval_fraction = 0.15\n`,
    });
    const client = await account.client();
    await seedPersonaMailbox(client, `${account.user}@example.test`, 60);
    await client.logout();
    db = openStore(account.config.dbPath);
    await syncAccount({ db, account: account.config.accounts[0]!, settings: account.config.sync });
    accountId = accountIdByName(db, 'test')!;
  }, 120_000);

  afterAll(() => db?.close());

  it('a version trained on the real replies beats the prompted route and is promoted; both routes are stored', async () => {
    const r = await trainModel({ db, config: account.config });
    console.log(
      `real replies, ${r.steps} steps: prompted loss ${r.prompted.loss?.toFixed(3)} chrF ${r.prompted.chrf.toFixed(1)} style ${r.prompted.style.toFixed(2)}; ` +
        `tuned loss ${r.evaluation.loss?.toFixed(3)} chrF ${r.evaluation.chrf.toFixed(1)} style ${r.evaluation.style.toFixed(2)} → ${r.promoted ? 'promoted' : 'not promoted'}: ${r.decision}`,
    );
    expect(r.evaluation.samples).toBeGreaterThanOrEqual(6);
    expect(r.prompted.samples).toBe(r.evaluation.samples);
    expect(r.evaluation.loss!).toBeLessThan(r.prompted.loss!);
    expect(r.evaluation.chrf).toBeGreaterThan(r.prompted.chrf);
    expect(r.promoted, r.decision).toBe(true);
    expect(r.decisionCode).toBe('PROMOTED');
    expect(r.decision).toContain(`loss ${r.prompted.loss!.toFixed(3)} → ${r.evaluation.loss!.toFixed(3)}`);

    // Stored: one evaluation of version 1, a row per held-out message and route, the same messages.
    const evaluation = evaluationOf(db, r.version.id)!;
    expect(evaluation.promoted).toBe(1);
    expect(evaluation.current_id).toBeNull();
    const rows = evaluationScores(db, evaluation.id);
    const keys = (route: string) =>
      rows
        .filter((s) => s.route === route)
        .map((s) => s.reply_key)
        .sort();
    const held = storedExamples(db, accountId, 'eval').map((e) => e.reply_key);
    expect(keys('prompted')).toHaveLength(r.evaluation.samples);
    expect(keys('prompted')).toEqual(keys('candidate'));
    for (const key of keys('candidate')) expect(held).toContain(key);
    for (const s of rows) {
      expect(s.loss, `${s.route} ${s.reply_key}: loss of the real reply`).toBeGreaterThan(0);
      expect(s.loss_tokens).toBeGreaterThan(3);
    }
    // The prompted route was shown Anna's replies: its loss per message is what the ONNX model
    // gives the real reply after the few-shot prompt, and the tuned version's is lower on average.
    const mean = (route: string) => {
      const own = rows.filter((s) => s.route === route);
      return own.reduce((a, s) => a + (s.loss ?? 0), 0) / own.length;
    };
    expect(mean('candidate')).toBeLessThan(mean('prompted'));
    // The training curve: train loss at every step, held-out loss along the way.
    const curve = trainingCurves(db).filter((p) => p.run_id === r.runId);
    expect(curve.filter((p) => p.kind === 'train')).toHaveLength(r.steps);
    expect(curve.filter((p) => p.kind === 'eval').length).toBeGreaterThanOrEqual(2);
    expect(curve.filter((p) => p.kind === 'base_eval')).toHaveLength(1);
  }, 2_400_000);

  it('a version trained on wrong replies is not promoted, and the reason names the numbers', async () => {
    // Wrong replies: each training message gets the reply to the thread six places on (12 people,
    // the first six Dutch): every Dutch message an English answer to someone else, and vice versa.
    // The held-out messages keep their real replies; the store is unchanged, so train reuses this.
    const train = db
      .prepare("SELECT id, source, conversation FROM examples WHERE account_id = ? AND split = 'train' ORDER BY id")
      .all(accountId) as { id: number; source: string; conversation: string }[];
    const replies = train.map((e) => (JSON.parse(e.source) as { reply: string }).reply);
    const update = db.prepare('UPDATE examples SET source = ?, conversation = ? WHERE id = ?');
    train.forEach((e, i) => {
      const wrong = replies[(i + 6) % replies.length]!;
      const source = { ...JSON.parse(e.source), reply: wrong };
      const conversation = JSON.parse(e.conversation) as { messages: { role: string; content: string }[] };
      for (const m of conversation.messages) if (m.role === 'assistant') m.content = wrong;
      update.run(JSON.stringify(source), JSON.stringify(conversation), e.id);
    });

    const r = await trainModel({ db, config: account.config });
    console.log(
      `wrong replies: tuned loss ${r.evaluation.loss?.toFixed(3)} chrF ${r.evaluation.chrf.toFixed(1)} style ${r.evaluation.style.toFixed(2)}; ` +
        `version 1 chrF ${r.baseline?.chrf.toFixed(1)} → ${r.promoted ? 'promoted' : 'not promoted'}: ${r.decision}`,
    );
    expect(r.promoted, r.decision).toBe(false);
    expect(r.decisionCode).not.toBe('PROMOTED');
    expect(r.baseline).not.toBeNull();
    expect(r.evaluation.chrf).toBeLessThan(r.baseline!.chrf);
    expect(r.decision).toContain(r.evaluation.chrf.toFixed(1));
    expect(r.decision).toMatch(/version 1/);
    const versions = listVersions(db);
    expect(versions.map((v) => [v.id, v.status])).toEqual([
      [1, 'promoted'],
      [2, 'rejected'],
    ]);
    // Its evaluation holds all three routes on the same messages, and the decision as shown.
    const evaluation = evaluationOf(db, 2)!;
    expect(evaluation.promoted).toBe(0);
    expect(evaluation.current_id).toBe(1);
    expect(evaluation.decision).toBe(r.decision);
    const routes = new Set(evaluationScores(db, evaluation.id).map((s) => s.route));
    expect([...routes].sort()).toEqual(['candidate', 'current', 'prompted']);
    expect(listEvaluations(db)).toHaveLength(2);
  }, 2_400_000);
});
