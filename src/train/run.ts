// `understudy train`: dataset → shards → LoRA fine-tune in the Python worker → ONNX export →
// evaluation of both routes (prompted base model vs the tuned version) on held-out replies → a
// registered version, promoted only on a measured win (src/train/promotion.ts).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { buildDataset } from '../dataset/build.js';
import { contextVariants, type ShardSummary, writeShards } from '../dataset/shards.js';
import { baseModelProblem } from '../model/base-model-name.js';
import { ChatTokenizer } from '../model/chat-tokenizer.js';
import { findPreset } from '../model/presets.js';
import type { ChatMessage } from '../model/prompt.js';
import { baseModelDir, readManifest } from '../model/pull.js';
import {
  getVersion,
  type ModelVersion,
  newVersionDir,
  promote,
  promotedVersion,
  registerVersion,
  reject,
} from '../model/registry.js';
import { accountIdByName, type StoredExample, storedExamples } from '../store/dataset.js';
import { type Db, ensurePrivateDir } from '../store/db.js';
import { saveEvaluation } from '../store/evaluations.js';
import { finishRun, recordCurvePoint, resumableRun, startRun } from '../store/training-runs.js';
import { WorkerError } from '../worker/errors.js';
import type { WorkerEvent } from '../worker/protocol.js';
import { findPython } from '../worker/python.js';
import { runWorker, type WorkerRun } from '../worker/run.js';
import { ensureBaseOnnx } from './base-onnx.js';
import { TrainError } from './errors.js';
import { type EvalSummary, type ReplyScore, scoreReply, summarize } from './evaluate.js';
import { gpuBusyReason } from './gpu.js';
import { acquireTrainingLock } from './lock.js';
import { decidePromotion, type PromotionDecision } from './promotion.js';
import { evaluateRoute, type HeldOutMessage, type RouteSummary } from './routes.js';

export type TrainPhase = 'dataset' | 'tokenize' | 'train' | 'export' | 'evaluate' | 'register';

export interface TrainProgress {
  phase: TrainPhase;
  step?: number;
  steps?: number;
  loss?: number;
  tokensPerS?: number;
  elapsedS?: number;
  message?: string;
}

export interface TrainOptions {
  db: Db;
  config: Config;
  /** Continue the last interrupted run from its checkpoint. */
  resume?: boolean;
  /** Train even when the GPU looks busy. */
  force?: boolean;
  onProgress?: (p: TrainProgress) => void;
  onLog?: (line: string) => void;
  /** Receives the running worker, so the caller can cancel it (Ctrl-C). */
  onWorker?: (w: WorkerRun) => void;
}

export interface TrainResult {
  runId: number;
  version: ModelVersion;
  promoted: boolean;
  /** Why it was or was not promoted, naming the numbers. */
  decision: string;
  decisionCode: PromotionDecision['code'];
  /** The trainer's held-out loss (training format, no examples): base model and adapter. */
  baseEvalLoss: number | null;
  evalLoss: number | null;
  /** The candidate version's replies to the held-out messages (ONNX generator, greedy). */
  evaluation: RouteSummary;
  /** The prompted route (the base model shown a few of your past replies) on the same messages. */
  prompted: RouteSummary;
  /** The version promoted before, on the same messages; null when there was none. */
  baseline: RouteSummary | null;
  /** Candidate minus prompted route (loss: negative is better; chrF: positive is better). */
  margin: PromotionDecision['margin'];
  shards: ShardSummary;
  steps: number;
  device: string;
  durationS: number;
}

/** The base model folder: a pulled preset/repository, or a folder given in the config. */
export function resolveBaseModel(config: Config): { dir: string; repo: string | null; commit: string | null } {
  const name = config.train.baseModel;
  if (name.startsWith('/') && existsSync(join(name, 'config.json'))) {
    const manifest = readManifest(name);
    return { dir: name, repo: manifest?.repo ?? null, commit: manifest?.commit ?? null };
  }
  // A path that is no model folder, a GGUF file, an Ollama name: `model pull` cannot help.
  const problem = baseModelProblem(name);
  if (problem) throw new TrainError('NO_BASE_MODEL', `${problem.message}. ${problem.fix}`);
  const repo = findPreset(name)?.repo ?? name;
  const dir = baseModelDir(config.dataDir, repo);
  const manifest = readManifest(dir);
  if (!manifest) {
    throw new TrainError(
      'NO_BASE_MODEL',
      `the base model ${name} is not downloaded yet; run: understudy model pull ${name}`,
    );
  }
  return { dir, repo: manifest.repo, commit: manifest.commit };
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const release = acquireTrainingLock(options.config.dataDir);
  try {
    return await trainModelLocked(options);
  } finally {
    release();
  }
}

async function trainModelLocked(options: TrainOptions): Promise<TrainResult> {
  const { db, config } = options;
  const started = Date.now();
  const settings = config.train;
  const progress = options.onProgress ?? (() => {});
  const base = resolveBaseModel(config);
  const python = findPython(settings.python).executable;
  const busy = options.force ? null : gpuBusyReason(settings.device, settings.gpuBusyFraction);
  if (busy) throw new TrainError('GPU_BUSY', busy);

  // 1. Data: the dataset of every account, tokenized with the base model's own tokenizer.
  const resumeFrom = options.resume ? resumableRun(db) : undefined;
  if (options.resume && !resumeFrom)
    throw new TrainError('BAD_CONFIG', 'there is no interrupted training run to resume');
  const runId = resumeFrom?.id ?? startRun(db, 0);
  const runDir = join(config.dataDir, 'runs', `run-${String(runId).padStart(4, '0')}`);
  const dataDir = join(runDir, 'data');
  const adapterDir = join(runDir, 'adapter');
  ensurePrivateDir(runDir);
  const tokenizer = await ChatTokenizer.load(base.dir);
  let shards: ShardSummary;
  let examples: StoredExample[];
  /** The account id of each example (parallel to `examples`). */
  let owners: number[];
  if (resumeFrom && existsSync(join(runDir, 'examples.json'))) {
    // Resuming trains on exactly the shards the interrupted run used.
    const saved = JSON.parse(readFileSync(join(runDir, 'examples.json'), 'utf8')) as {
      shards: ShardSummary;
      examples: StoredExample[];
      owners?: number[];
    };
    ({ shards, examples } = saved);
    const first = accountIdByName(db, config.accounts[0]?.name ?? '') ?? 0;
    owners = saved.owners ?? examples.map(() => first);
  } else {
    progress({ phase: 'dataset' });
    examples = [];
    owners = [];
    for (const account of config.accounts) {
      const accountId = accountIdByName(db, account.name);
      if (accountId === undefined) continue;
      buildDataset({ db, account, settings: config.dataset });
      const own = storedExamples(db, accountId);
      examples.push(...own);
      owners.push(...own.map(() => accountId));
    }
    progress({ phase: 'tokenize' });
    shards = writeShards(dataDir, examples, tokenizer, settings.maxSeqLen);
    writeFileSync(join(runDir, 'examples.json'), JSON.stringify({ shards, examples, owners }), { mode: 0o600 });
  }
  if (shards.splits.train.examples === 0) {
    finishRun(db, runId, { status: 'failed', error: 'empty dataset' });
    throw new TrainError(
      'EMPTY_DATASET',
      'there are no training examples yet: sync your mail (understudy sync) and check understudy dataset stats for why replies were left out',
    );
  }

  // 2. Fine-tune.
  let device: string = settings.device;
  let steps = 0;
  let done: WorkerEvent;
  try {
    const run = runWorker({
      python,
      command: 'train',
      nice: settings.nice,
      config: {
        model_dir: base.dir,
        data_dir: dataDir,
        out_dir: adapterDir,
        device: settings.device,
        seed: settings.seed,
        lora: { r: settings.lora.r, alpha: settings.lora.alpha, dropout: settings.lora.dropout },
        lr: settings.learningRate,
        epochs: settings.epochs,
        max_steps: settings.maxSteps ?? null,
        batch_size: settings.batchSize,
        grad_accum: settings.gradAccum,
        checkpoint_every: 50,
        // About ten held-out losses along the way: the report's training curve.
        eval_every: Math.max(
          5,
          Math.ceil(
            (settings.maxSteps ??
              Math.ceil((shards.splits.train.examples * settings.epochs) / (settings.batchSize * settings.gradAccum))) /
              10,
          ),
        ),
        resume: Boolean(resumeFrom && existsSync(join(adapterDir, 'checkpoint.pt'))),
      },
      onEvent: (e) => {
        if (e.event === 'start') device = String(e.device ?? device);
        if (e.event === 'step') {
          steps = Number(e.step);
          recordCurvePoint(db, runId, 'train', steps, Number(e.loss));
          progress({
            phase: 'train',
            step: Number(e.step),
            steps: Number(e.steps),
            loss: Number(e.loss),
            tokensPerS: Number(e.tokens_per_s),
            elapsedS: Number(e.elapsed_s),
          });
        }
        if (e.event === 'eval') {
          recordCurvePoint(db, runId, e.adapter ? 'eval' : 'base_eval', Number(e.step), Number(e.loss));
          progress({
            phase: 'train',
            message: `held-out loss ${Number(e.loss).toFixed(3)} (${e.adapter ? 'adapter' : 'base model'})`,
          });
        }
      },
      ...(options.onLog ? { onLog: options.onLog } : {}),
    });
    options.onWorker?.(run);
    done = await run.result;
  } catch (err) {
    const cancelled = err instanceof WorkerError && err.code === 'CANCELLED';
    finishRun(db, runId, { status: cancelled ? 'cancelled' : 'failed', device, steps, error: (err as Error).message });
    throw err;
  }
  const metrics = (done.metrics ?? {}) as { base_eval_loss?: number | null; eval_loss?: number | null; steps?: number };
  steps = metrics.steps ?? steps;

  // 3. Export the merged model for inference, into a new version folder.
  progress({ phase: 'export' });
  const versionDir = newVersionDir(config.dataDir);
  try {
    await runWorker({
      python,
      command: 'export',
      nice: settings.nice,
      config: { model_dir: base.dir, adapter_dir: adapterDir, out_dir: join(versionDir, 'model') },
    }).result;
    mkdirSync(join(versionDir, 'adapter'), { recursive: true });
    for (const f of ['adapter_config.json', 'adapter_model.safetensors', 'metrics.json']) {
      writeFileSync(join(versionDir, 'adapter', f), readFileSync(join(adapterDir, f)));
    }
  } catch (err) {
    rmSync(versionDir, { recursive: true, force: true });
    finishRun(db, runId, { status: 'failed', device, steps, error: (err as Error).message });
    throw err;
  }

  // 4. Evaluate both routes on the same held-out messages, as drafts are written (ONNX, greedy):
  // the prompted route (base model + a few past replies), the candidate, the promoted version.
  progress({ phase: 'evaluate' });
  const held = heldOutMessages(examples, owners, settings.evalSamples);
  const current = promotedVersion(db);
  const routeOptions = { held, maxNewTokens: EVAL_MAX_NEW_TOKENS, threads: config.drafts.threads };
  let prompted: Awaited<ReturnType<typeof evaluateRoute>>;
  let evaluation: Awaited<ReturnType<typeof evaluateRoute>>;
  let baseline: Awaited<ReturnType<typeof evaluateRoute>> | null = null;
  try {
    const baseOnnx = await ensureBaseOnnx(config.dataDir, base.dir, python);
    prompted = await evaluateRoute({ ...routeOptions, modelDir: baseOnnx, prompted: true });
    progress({ phase: 'evaluate', message: `prompted route: ${describeRoute(prompted.summary)}` });
    evaluation = await evaluateRoute({ ...routeOptions, modelDir: join(versionDir, 'model'), prompted: false });
    progress({ phase: 'evaluate', message: `tuned: ${describeRoute(evaluation.summary)}` });
    if (current && existsSync(join(current.dir, 'model', 'onnx', 'model.onnx'))) {
      baseline = await evaluateRoute({ ...routeOptions, modelDir: join(current.dir, 'model'), prompted: false });
      progress({ phase: 'evaluate', message: `version ${current.id}: ${describeRoute(baseline.summary)}` });
    }
  } catch (err) {
    rmSync(versionDir, { recursive: true, force: true });
    finishRun(db, runId, { status: 'failed', device, steps, error: (err as Error).message });
    throw err;
  }

  // 5. Register, and promote only a measured win.
  progress({ phase: 'register' });
  const data = {
    examples: examples.length,
    train: shards.splits.train,
    eval: shards.splits.eval,
    tooLong: shards.tooLong,
    from: examples.length ? new Date(Math.min(...examples.map((e) => e.reply_date))).toISOString() : null,
    to: examples.length ? new Date(Math.max(...examples.map((e) => e.reply_date))).toISOString() : null,
  };
  const summaries = {
    evaluation: evaluation.summary,
    prompted: prompted.summary,
    baseline: baseline?.summary ?? null,
  };
  writeFileSync(
    join(versionDir, 'metrics.json'),
    `${JSON.stringify({ training: metrics, ...summaries, samples: evaluation.scores.map((s) => ({ replyKey: s.replyKey, generated: s.generated })) }, null, 2)}\n`,
    { mode: 0o600 },
  );
  writeFileSync(join(versionDir, 'data.json'), `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  const version = registerVersion(db, config.dataDir, versionDir, {
    base: resolve(base.dir),
    baseRepo: base.repo,
    baseCommit: base.commit,
    evalLoss: metrics.eval_loss ?? null,
    baseEvalLoss: metrics.base_eval_loss ?? null,
    score: evaluation.summary.samples ? evaluation.summary.chrf : null,
    styleMatch: evaluation.summary.samples ? evaluation.summary.style : null,
    metrics: { training: metrics, ...summaries },
    data,
  });
  const decision = decidePromotion({
    candidate: { id: version.id, summary: evaluation.summary },
    prompted: prompted.summary,
    current: current && baseline ? { id: current.id, summary: baseline.summary } : null,
  });
  if (decision.promote) promote(db, version.id);
  else reject(db, version.id);
  saveEvaluation(db, {
    versionId: version.id,
    runId,
    currentId: current?.id ?? null,
    promoted: decision.promote,
    decision: decision.why,
    summary: {
      prompted: prompted.summary,
      candidate: evaluation.summary,
      ...(baseline ? { current: baseline.summary } : {}),
    },
    scores: {
      prompted: { modelVersion: null, scores: prompted.scores },
      candidate: { modelVersion: version.id, scores: evaluation.scores },
      ...(baseline && current ? { current: { modelVersion: current.id, scores: baseline.scores } } : {}),
    },
  });
  finishRun(db, runId, { status: 'done', device, steps, versionId: version.id });
  return {
    runId,
    version: getVersion(db, version.id) ?? version,
    promoted: decision.promote,
    decision: decision.why,
    decisionCode: decision.code,
    baseEvalLoss: metrics.base_eval_loss ?? null,
    evalLoss: metrics.eval_loss ?? null,
    evaluation: evaluation.summary,
    prompted: prompted.summary,
    baseline: baseline?.summary ?? null,
    margin: decision.margin,
    shards,
    steps,
    device,
    durationS: (Date.now() - started) / 1000,
  };
}

/** Longest reply generated for a held-out message (tokens): a typical reply is well below. */
const EVAL_MAX_NEW_TOKENS = 160;

/** The newest `limit` held-out examples, each with its account's training split (the prompted route's pool). */
export function heldOutMessages(
  examples: readonly StoredExample[],
  owners: readonly number[],
  limit: number,
): HeldOutMessage[] {
  const pools = new Map<number, StoredExample[]>();
  const held: HeldOutMessage[] = [];
  examples.forEach((e, i) => {
    const accountId = owners[i] ?? 0;
    if (!pools.has(accountId)) pools.set(accountId, []);
    if (e.split === 'train') pools.get(accountId)?.push(e);
    else held.push({ accountId, example: e, pool: [] });
  });
  return (limit > 0 ? held.slice(-limit) : []).map((h) => ({ ...h, pool: pools.get(h.accountId) ?? [] }));
}

function describeRoute(s: RouteSummary): string {
  return `loss ${s.loss === null ? 'n/a' : s.loss.toFixed(3)}, chrF ${s.chrf.toFixed(1)}, style ${Math.round(s.style * 100)}% on ${s.samples} held-out messages`;
}

/** Greedy replies (torch, in the worker) to held-out messages, scored against what was sent. */
export async function scoreGenerations(
  python: string,
  modelDir: string,
  adapterDir: string | null,
  held: readonly StoredExample[],
  tokenizer: ChatTokenizer,
  maxSeqLen: number,
): Promise<{ summary: EvalSummary; scores: ReplyScore[]; samples: { reference: string; generated: string }[] }> {
  const prompts: number[][] = [];
  const references: string[] = [];
  for (const example of held) {
    const variants = contextVariants(example);
    const reference = (variants[0]?.find((m) => m.role === 'assistant')?.content ?? '').trim();
    for (const v of variants) {
      const ids = tokenizer.promptIds(v.filter((m) => m.role !== 'assistant') as ChatMessage[]);
      if (ids.length + 160 <= maxSeqLen) {
        prompts.push(ids);
        references.push(reference);
        break;
      }
    }
  }
  if (prompts.length === 0) return { summary: summarize([]), scores: [], samples: [] };
  const done = await runWorker({
    python,
    command: 'generate',
    config: {
      model_dir: modelDir,
      adapter_dir: adapterDir,
      prompts,
      max_new_tokens: 160,
      eos_token_ids: tokenizer.endOfTurnIds,
      greedy: true,
    },
  }).result;
  const outputs = (done.outputs ?? []) as number[][];
  const samples = outputs.map((ids, i) => ({
    reference: references[i] ?? '',
    generated: tokenizer.decode(ids).trim(),
  }));
  const scores = samples.map((s) => scoreReply(s.generated, s.reference));
  return { summary: summarize(scores), scores, samples };
}
