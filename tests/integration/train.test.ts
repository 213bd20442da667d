// Learning, end to end on CPU: a persona mailbox on Dovecot → sync → dataset → LoRA training of
// the tiny model → greedy replies to held-out messages take the persona's greeting, sign-off and
// language, which the untrained model never does; held-out loss drops; a version is promoted.
import { join } from 'node:path';
import { AutoModelForCausalLM, Tensor } from '@huggingface/transformers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ChatTokenizer } from '../../src/model/chat-tokenizer.js';
import { accountIdByName } from '../../src/store/accounts.js';
import { openStore } from '../../src/store/db.js';
import { storedExamples } from '../../src/store/examples.js';
import { scoreGenerations } from '../../src/train/run.js';
import { runWorker } from '../../src/worker/run.js';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { seedPersonaMailbox } from '../helpers/persona.js';
import { TEST_PYTHON, tinyModel, tinyTrainSection } from '../helpers/tiny-model.js';

const server = inject('dovecot');
const STEPS = Number(process.env.UNDERSTUDY_TEST_TRAIN_STEPS ?? 600);

describe('understudy train on a persona mailbox', () => {
  let account: TestAccount;
  let model: string;

  beforeAll(async () => {
    model = tinyModel();
    account = newAccount(server, {
      top: `${tinyTrainSection(model, { max_steps: STEPS, lora_r: 16, lora_alpha: 32, lora_dropout: '0.0', eval_samples: 16 })}[dataset]\neval_fraction = 0.15`,
    });
    const client = await account.client();
    await seedPersonaMailbox(client, `${account.user}@example.test`, 96);
    await client.logout();
    expect((await runCli(['--config', account.configFile, 'sync', '--quiet'])).code).toBe(0);
  }, 120_000);

  it('learns the persona’s greeting, sign-off and language, and promotes the version', async () => {
    // Before training: the random model never writes like Anna.
    const db = openStore(account.config.dbPath);
    const tokenizer = await ChatTokenizer.load(model);
    expect((await runCli(['--config', account.configFile, 'dataset', 'build'])).code).toBe(0);
    const held = storedExamples(db, accountIdByName(db, 'test')!, 'eval');
    const untrained = await scoreGenerations(TEST_PYTHON, model, null, held, tokenizer, 384);
    db.close();

    const t0 = Date.now();
    const result = await runCli(['--config', account.configFile, 'train', '--json'], {}, 1_100_000);
    expect(result.code, result.stderr).toBe(0);
    const r = JSON.parse(result.stdout);
    console.log(
      `trained ${r.steps} steps in ${((Date.now() - t0) / 1000).toFixed(0)} s; held-out loss ${r.baseEvalLoss.toFixed(3)} → ${r.evalLoss.toFixed(3)}; ` +
        `style ${Math.round(r.evaluation.style * 100)}% (greeting ${Math.round(r.evaluation.greeting * 100)}%, sign-off ${Math.round(r.evaluation.signOff * 100)}%, language ${Math.round(r.evaluation.language * 100)}%) ` +
        `vs untrained ${Math.round(untrained.summary.style * 100)}%; chrF ${untrained.summary.chrf.toFixed(1)} → ${r.evaluation.chrf.toFixed(1)}`,
    );
    console.log(`untrained sample: ${JSON.stringify(untrained.samples[0]?.generated.slice(0, 80))}`);
    console.log(
      `prompted route (base model + 3 past replies, ONNX): loss ${r.prompted.loss?.toFixed(3)} chrF ${r.prompted.chrf.toFixed(1)}; tuned: loss ${r.evaluation.loss?.toFixed(3)} chrF ${r.evaluation.chrf.toFixed(1)}; ${r.decision}`,
    );
    // Both routes replied to the same held-out messages, and the tuned one won on both counts.
    expect(r.prompted.samples).toBe(r.evaluation.samples);
    expect(r.evaluation.loss).toBeLessThan(r.prompted.loss);
    expect(r.evaluation.chrf).toBeGreaterThan(r.prompted.chrf);
    expect(r.evaluation.samples).toBeGreaterThanOrEqual(10);
    expect(untrained.summary.style).toBeLessThanOrEqual(0.05);
    expect(r.evaluation.style).toBeGreaterThanOrEqual(0.9);
    expect(r.evalLoss).toBeLessThan(r.baseEvalLoss);
    expect(r.promoted).toBe(true);
    const list = await runCli(['--config', account.configFile, 'model', 'list']);
    expect(list.stdout).toMatch(/\*\s+1 .* promoted/);

    // The promoted version's merged ONNX model, run by transformers.js, writes exactly what the
    // trainer's torch model (base + adapter) writes, token for token.
    const prompt = tokenizer.promptIds(JSON.parse(held[0]!.conversation).messages.slice(0, 2));
    const torch = await runWorker({
      python: TEST_PYTHON,
      command: 'generate',
      config: {
        model_dir: model,
        adapter_dir: join(r.version.dir, 'adapter'),
        prompts: [prompt],
        max_new_tokens: 40,
        eos_token_ids: tokenizer.endOfTurnIds,
        greedy: true,
      },
    }).result;
    const torchIds = (torch.outputs as number[][])[0]!;
    const lm = await AutoModelForCausalLM.from_pretrained(join(r.version.dir, 'model'), {
      local_files_only: true,
      dtype: 'fp32',
    });
    const input = new Tensor(
      'int64',
      BigInt64Array.from(prompt, (x) => BigInt(x)),
      [1, prompt.length],
    );
    const mask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
    const out = (await lm.generate({
      input_ids: input,
      attention_mask: mask,
      max_new_tokens: 40,
      do_sample: false,
      eos_token_id: tokenizer.endOfTurnIds,
    } as never)) as { tolist(): bigint[][] };
    const tjsIds = out.tolist()[0]!.slice(prompt.length).map(Number);
    await lm.dispose();
    console.log(`greedy reply (torch = transformers.js): ${JSON.stringify(tokenizer.decode(torchIds))}`);
    expect(tjsIds.slice(0, torchIds.length)).toEqual(torchIds);
  }, 1_200_000);
});
