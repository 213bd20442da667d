// `understudy train`: dataset → shards → LoRA fine-tune in the Python worker → ONNX export →
// evaluation of both routes (prompted base model vs the tuned version) on held-out replies → a
// registered version, promoted only on a measured win (src/train/promotion.ts).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { buildDataset } from '../dataset/build.js';
import { contextVariants, type ShardSummary, writeShards } from '../dataset/shards.js';
import { resolveBaseModel } from '../model/base-model.js';
import { ensureBaseOnnx } from '../model/base-onnx.js';
import { ChatTokenizer } from '../model/chat-tokenizer.js';
import { DECODE_EXPORT_OPTIONS } from '../model/decode-export.js';
import type { ChatMessage } from '../model/prompt.js';
import {
  getVersion,
  type ModelVersion,
  newVersionDir,
  promote,
  promotedVersion,
  registerVersion,
  reject,
} from '../model/registry.js';
import { accountIdByName } from '../store/accounts.js';
import { type Db, ensurePrivateDir } from '../store/db.js';
import { saveEvaluation } from '../store/evaluations.js';
import { type StoredExample, storedExamples } from '../store/examples.js';
import { finishRun, recordCurvePoint, resumableRun, startRun } from '../store/training-runs.js';
import { WorkerError } from '../worker/errors.js';
import type { WorkerEvent } from '../worker/protocol.js';
import { findPython } from '../worker/python.js';
import { runWorker, type WorkerRun } from '../worker/run.js';
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

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const release = acquireTrainingLock(options.config.dataDir);
  try {
    return await trainModelLocked(options);
  } finally {
    release();
  }
}

/**
 * One training run, in named phases: the data (dataset → shards, or the interrupted run's),
 * the fine-tune in the worker, the ONNX export into a new version folder, the evaluation of both
 * routes, and the registration with its promotion decision. A phase that fails records the run
 * as failed (or cancelled) and removes a version folder it had started.
 * @throws TrainError GPU_BUSY, NOTHING_TO_RESUME, EMPTY_DATASET; WorkerError from the worker.
 */
async function trainModelLocked(options: TrainOptions): Promise<TrainResult> {
  const { db, config } = options;
  const started = Date.now();
  const settings = config.train;
  const base = resolveBaseModel(config);
  const python = findPython(settings.python).executable;
  const busy = options.force ? null : gpuBusyReason(settings.device, settings.gpuBusyFraction);
  if (busy) throw new TrainError('GPU_BUSY', busy);

  const run = await prepareRun(options, base.dir);
  const fit = await fineTune(options, run, base.dir, python);
  const versionDir = await exportVersion(options, run, fit, base.dir, python);
  const routes = await evaluateRoutes(options, run, fit, versionDir, base.dir, python);
  const { version, decision } = registerCandidate(options, { run, fit, versionDir, routes, base });
  const { evaluation, prompted, baseline } = routes;
  return {
    runId: run.runId,
    version: getVersion(db, version.id) ?? version,
    promoted: decision.promote,
    decision: decision.why,
    decisionCode: decision.code,
    baseEvalLoss: fit.metrics.base_eval_loss ?? null,
    evalLoss: fit.metrics.eval_loss ?? null,
    evaluation: evaluation.summary,
    prompted: prompted.summary,
    baseline: baseline?.summary ?? null,
    margin: decision.margin,
    shards: run.shards,
    steps: fit.steps,
    device: fit.device,
    durationS: (Date.now() - started) / 1000,
  };
}

/** A run's data: its row and folders, the shards written and the examples they hold. */
interface RunData {
  runId: number;
  runDir: string;
  /** The shards (train/eval) the worker reads. */
  dataDir: string;
  /** Where the worker writes the adapter and its checkpoints. */
  adapterDir: string;
  /** Continuing an interrupted run (--resume). */
  resuming: boolean;
  shards: ShardSummary;
  examples: StoredExample[];
  /** The account id of each example (parallel to `examples`). */
  owners: number[];
}

/** What the fine-tune reported: the device it ran on, the steps done and its metrics (losses in nats per token). */
interface Fit {
  device: string;
  steps: number;
  metrics: { base_eval_loss?: number | null; eval_loss?: number | null; steps?: number };
}

/** The three routes' replies to the same held-out messages; baseline is the promoted version's, when there is one. */
interface Routes {
  current: ModelVersion | undefined;
  prompted: Awaited<ReturnType<typeof evaluateRoute>>;
  evaluation: Awaited<ReturnType<typeof evaluateRoute>>;
  baseline: Awaited<ReturnType<typeof evaluateRoute>> | null;
}

/**
 * Phase 1, data: the dataset of every account, tokenized with the base model's own tokenizer
 * into the run's shards; a resumed run trains on exactly the shards the interrupted one used.
 * @throws TrainError NOTHING_TO_RESUME when --resume finds no interrupted run (exit 64), EMPTY_DATASET when there is nothing to train on.
 */
async function prepareRun(options: TrainOptions, baseDir: string): Promise<RunData> {
  const { db, config } = options;
  const progress = options.onProgress ?? (() => {});
  const resumeFrom = options.resume ? resumableRun(db) : undefined;
  if (options.resume && !resumeFrom)
    throw new TrainError('NOTHING_TO_RESUME', 'there is no interrupted training run to resume');
  const runId = resumeFrom?.id ?? startRun(db, 0);
  const runDir = join(config.dataDir, 'runs', `run-${String(runId).padStart(4, '0')}`);
  const dataDir = join(runDir, 'data');
  const adapterDir = join(runDir, 'adapter');
  ensurePrivateDir(runDir);
  const tokenizer = await ChatTokenizer.load(baseDir);
  let shards: ShardSummary;
  let examples: StoredExample[];
  let owners: number[];
  if (resumeFrom && existsSync(join(runDir, 'examples.json'))) {
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
    ({ examples, owners } = everyAccountsExamples(options));
    progress({ phase: 'tokenize' });
    shards = writeShards(dataDir, examples, tokenizer, config.train.maxSeqLen);
    writeFileSync(join(runDir, 'examples.json'), JSON.stringify({ shards, examples, owners }), { mode: 0o600 });
  }
  if (shards.splits.train.examples === 0) {
    finishRun(db, runId, { status: 'failed', error: 'empty dataset' });
    throw new TrainError(
      'EMPTY_DATASET',
      'there are no training examples yet: sync your mail (understudy sync) and check understudy dataset stats for why replies were left out',
    );
  }
  return { runId, runDir, dataDir, adapterDir, resuming: Boolean(resumeFrom), shards, examples, owners };
}

/** Each synced account's dataset, built (or kept when unchanged), with the account of each example. */
function everyAccountsExamples(options: TrainOptions): { examples: StoredExample[]; owners: number[] } {
  const { db, config } = options;
  const examples: StoredExample[] = [];
  const owners: number[] = [];
  for (const account of config.accounts) {
    const accountId = accountIdByName(db, account.name);
    if (accountId === undefined) continue;
    buildDataset({ db, account, settings: config.dataset });
    const own = storedExamples(db, accountId);
    examples.push(...own);
    owners.push(...own.map(() => accountId));
  }
  return { examples, owners };
}

/**
 * Phase 2, fit: the LoRA fine-tune in the Python worker, its loss curve recorded as it goes.
 * A failure (or Ctrl-C: CANCELLED) marks the run failed (cancelled) and is rethrown.
 */
async function fineTune(options: TrainOptions, run: RunData, baseDir: string, python: string): Promise<Fit> {
  const { db } = options;
  const settings = options.config.train;
  const progress = options.onProgress ?? (() => {});
  const fit: Fit = { device: settings.device, steps: 0, metrics: {} };
  let done: WorkerEvent;
  try {
    const worker = runWorker({
      python,
      command: 'train',
      nice: settings.nice,
      config: {
        model_dir: baseDir,
        data_dir: run.dataDir,
        out_dir: run.adapterDir,
        device: settings.device,
        seed: settings.seed,
        lora: { r: settings.lora.r, alpha: settings.lora.alpha, dropout: settings.lora.dropout },
        lr: settings.learningRate,
        epochs: settings.epochs,
        max_steps: settings.maxSteps ?? null,
        batch_size: settings.batchSize,
        grad_accum: settings.gradAccum,
        checkpoint_every: 50,
        eval_every: evalEvery(settings, run.shards.splits.train.examples),
        resume: run.resuming && existsSync(join(run.adapterDir, 'checkpoint.pt')),
      },
      onEvent: (e) => {
        if (e.event === 'start') fit.device = String(e.device ?? fit.device);
        if (e.event === 'step') {
          fit.steps = Number(e.step);
          recordCurvePoint(db, run.runId, 'train', fit.steps, Number(e.loss));
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
          recordCurvePoint(db, run.runId, e.adapter ? 'eval' : 'base_eval', Number(e.step), Number(e.loss));
          progress({
            phase: 'train',
            message: `held-out loss ${Number(e.loss).toFixed(3)} (${e.adapter ? 'adapter' : 'base model'})`,
          });
        }
      },
      ...(options.onLog ? { onLog: options.onLog } : {}),
    });
    options.onWorker?.(worker);
    done = await worker.result;
  } catch (err) {
    const cancelled = err instanceof WorkerError && err.code === 'CANCELLED';
    finishRun(db, run.runId, {
      status: cancelled ? 'cancelled' : 'failed',
      device: fit.device,
      steps: fit.steps,
      error: (err as Error).message,
    });
    throw err;
  }
  fit.metrics = (done.metrics ?? {}) as Fit['metrics'];
  fit.steps = fit.metrics.steps ?? fit.steps;
  return fit;
}

/** Steps between held-out losses: about ten along the way (the report's training curve), at least 5. */
function evalEvery(settings: Config['train'], trainExamples: number): number {
  const steps =
    settings.maxSteps ?? Math.ceil((trainExamples * settings.epochs) / (settings.batchSize * settings.gradAccum));
  return Math.max(5, Math.ceil(steps / 10));
}

/** Marks the run failed and removes the version folder it had started (phases 3 and 4). */
function failVersion(db: Db, run: RunData, fit: Fit, versionDir: string, err: unknown): void {
  rmSync(versionDir, { recursive: true, force: true });
  finishRun(db, run.runId, { status: 'failed', device: fit.device, steps: fit.steps, error: (err as Error).message });
}

/** Phase 3, export: the merged model for inference, and the adapter, into a new version folder. */
async function exportVersion(
  options: TrainOptions,
  run: RunData,
  fit: Fit,
  baseDir: string,
  python: string,
): Promise<string> {
  (options.onProgress ?? (() => {}))({ phase: 'export' });
  const versionDir = newVersionDir(options.config.dataDir);
  try {
    await runWorker({
      python,
      command: 'export',
      nice: options.config.train.nice,
      config: {
        model_dir: baseDir,
        adapter_dir: run.adapterDir,
        out_dir: join(versionDir, 'model'),
        ...DECODE_EXPORT_OPTIONS,
      },
    }).result;
    mkdirSync(join(versionDir, 'adapter'), { recursive: true });
    for (const f of ['adapter_config.json', 'adapter_model.safetensors', 'metrics.json']) {
      writeFileSync(join(versionDir, 'adapter', f), readFileSync(join(run.adapterDir, f)));
    }
  } catch (err) {
    failVersion(options.db, run, fit, versionDir, err);
    throw err;
  }
  return versionDir;
}

/**
 * Phase 4, evaluate: both routes on the same held-out messages, as drafts are written (ONNX,
 * greedy): the prompted route (base model + a few past replies), the candidate, the promoted version.
 */
async function evaluateRoutes(
  options: TrainOptions,
  run: RunData,
  fit: Fit,
  versionDir: string,
  baseDir: string,
  python: string,
): Promise<Routes> {
  const { db, config } = options;
  const progress = options.onProgress ?? (() => {});
  progress({ phase: 'evaluate' });
  const held = heldOutMessages(run.examples, run.owners, config.train.evalSamples);
  const current = promotedVersion(db);
  const routeOptions = { held, maxNewTokens: EVAL_MAX_NEW_TOKENS, threads: config.drafts.threads };
  try {
    const baseOnnx = await ensureBaseOnnx(config.dataDir, baseDir, python);
    const prompted = await evaluateRoute({ ...routeOptions, modelDir: baseOnnx, prompted: true });
    progress({ phase: 'evaluate', message: `prompted route: ${describeRoute(prompted.summary)}` });
    const evaluation = await evaluateRoute({ ...routeOptions, modelDir: join(versionDir, 'model'), prompted: false });
    progress({ phase: 'evaluate', message: `tuned: ${describeRoute(evaluation.summary)}` });
    let baseline: Routes['baseline'] = null;
    if (current && existsSync(join(current.dir, 'model', 'onnx', 'model.onnx'))) {
      baseline = await evaluateRoute({ ...routeOptions, modelDir: join(current.dir, 'model'), prompted: false });
      progress({ phase: 'evaluate', message: `version ${current.id}: ${describeRoute(baseline.summary)}` });
    }
    return { current, prompted, evaluation, baseline };
  } catch (err) {
    failVersion(db, run, fit, versionDir, err);
    throw err;
  }
}

/**
 * Phase 5, register: the version folder's metrics and data files, the version row, the promotion
 * decision (promoted only on a measured win), the stored evaluation, and the finished run.
 */
function registerCandidate(
  options: TrainOptions,
  parts: { run: RunData; fit: Fit; versionDir: string; routes: Routes; base: ReturnType<typeof resolveBaseModel> },
): { version: ModelVersion; decision: PromotionDecision } {
  const { db, config } = options;
  const { run, fit, versionDir, routes, base } = parts;
  const { current, prompted, evaluation, baseline } = routes;
  (options.onProgress ?? (() => {}))({ phase: 'register' });
  const data = versionData(run);
  const summaries = {
    evaluation: evaluation.summary,
    prompted: prompted.summary,
    baseline: baseline?.summary ?? null,
  };
  writeFileSync(
    join(versionDir, 'metrics.json'),
    `${JSON.stringify({ training: fit.metrics, ...summaries, samples: evaluation.scores.map((s) => ({ replyKey: s.replyKey, generated: s.generated })) }, null, 2)}\n`,
    { mode: 0o600 },
  );
  writeFileSync(join(versionDir, 'data.json'), `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  const version = registerVersion(db, config.dataDir, versionDir, {
    base: resolve(base.dir),
    baseRepo: base.repo,
    baseCommit: base.commit,
    evalLoss: fit.metrics.eval_loss ?? null,
    baseEvalLoss: fit.metrics.base_eval_loss ?? null,
    score: evaluation.summary.samples ? evaluation.summary.chrf : null,
    styleMatch: evaluation.summary.samples ? evaluation.summary.style : null,
    metrics: { training: fit.metrics, ...summaries },
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
    runId: run.runId,
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
  finishRun(db, run.runId, { status: 'done', device: fit.device, steps: fit.steps, versionId: version.id });
  return { version, decision };
}

/** What a version was trained on (data.json and the row's data): example counts, tokens, the replies' date range. */
function versionData(run: RunData) {
  const { examples, shards } = run;
  return {
    examples: examples.length,
    train: shards.splits.train,
    eval: shards.splits.eval,
    tooLong: shards.tooLong,
    from: examples.length ? new Date(Math.min(...examples.map((e) => e.reply_date))).toISOString() : null,
    to: examples.length ? new Date(Math.max(...examples.map((e) => e.reply_date))).toISOString() : null,
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
