// Scores a route on held-out messages the way drafts are really written: the ONNX generator of
// src/generate/ and the prompt of src/model/prompt.ts, greedy with a fixed seed. A route is a
// model plus a prompt: the prompted route (the base model shown a few of the user's past
// replies, the cold start of drafting) or a tuned version (its merged model, no examples). Each
// reply is compared with what the user really sent (chrF, greeting, sign-off, language, length),
// and the real reply's per-token loss under the same model and prompt is computed from the ONNX
// model's logits, so the loss and the text come from one and the same path.

import { Generator } from '../generate/generator.js';
import { coldStartInput, type StyleExampleSource } from '../model/cold-start.js';
import type { PromptInput } from '../model/prompt.js';
import { renderConversation } from '../model/prompt.js';
import { type EvalSummary, type ReplyScore, scoreReply, summarize } from './evaluate.js';

/** prompted: the cold-start route; candidate: the version being evaluated; current: the promoted one. */
export type RouteName = 'prompted' | 'candidate' | 'current';

export interface HeldOutMessage {
  accountId: number;
  /** The held-out example as stored (examples.reply_key, .source JSON {input, reply}, .correspondent). */
  example: { reply_key: string; source: string; correspondent: string | null };
  /** The prompted route's choice of past replies: the same account's training split (never held out). */
  pool: readonly StyleExampleSource[];
}

export interface RouteScore extends ReplyScore {
  accountId: number;
  replyKey: string;
  generated: string;
  /** Characters generated / characters the user sent. */
  lengthRatio: number | null;
  /** Mean negative log-likelihood (nats per token) of the real reply and its end of turn; null when it did not fit. */
  loss: number | null;
  lossTokens: number;
}

export interface RouteSummary extends EvalSummary {
  /** Mean of the per-message length ratios (1 = as long as what was sent). */
  lengthRatio: number;
  /** Per-token loss over all held-out replies (token-weighted), null when none could be scored. */
  loss: number | null;
  lossTokens: number;
}

export interface EvaluateRouteOptions {
  /** A folder with config.json, the tokenizer and onnx/model.onnx. */
  modelDir: string;
  /** Show the base model the user's past replies (the cold-start prompt). */
  prompted: boolean;
  held: readonly HeldOutMessage[];
  maxNewTokens: number;
  /** Longest prompt + reply (tokens); earlier thread messages are dropped first to fit. */
  contextLength?: number;
  threads?: number;
  seed?: number;
}

/** Fixed, so that two evaluations of the same model on the same messages give the same numbers. */
export const EVAL_SEED = 1;
const DEFAULT_CONTEXT = 2048;

/**
 * Generates a reply to every held-out message with one route and scores it. Throws
 * GeneratorError (MODEL_MISSING) when the folder has no ONNX model.
 */
export async function evaluateRoute(
  options: EvaluateRouteOptions,
): Promise<{ summary: RouteSummary; scores: RouteScore[] }> {
  const contextLength = options.contextLength ?? DEFAULT_CONTEXT;
  const generator = await Generator.load(options.modelDir, {
    contextLength,
    ...(options.threads ? { threads: options.threads } : {}),
  });
  try {
    const scores: RouteScore[] = [];
    for (const m of options.held) scores.push(await scoreOne(generator, m, options, contextLength));
    return { summary: summarizeRoute(scores), scores };
  } finally {
    await generator.close();
  }
}

async function scoreOne(
  generator: Generator,
  m: HeldOutMessage,
  options: EvaluateRouteOptions,
  contextLength: number,
): Promise<RouteScore> {
  const { input, reply } = JSON.parse(m.example.source) as { input: PromptInput; reply: string };
  const routed = options.prompted ? coldStartInput(input, m.pool, m.example.correspondent ?? '') : input;
  const reference = reply.trim();
  // As training does: the same conversation with fewer and fewer earlier thread messages.
  const variants = [];
  for (let keep = routed.context.length; keep >= 0; keep--)
    variants.push(
      renderConversation({ ...routed, context: routed.context.slice(routed.context.length - keep) }, reply),
    );
  const tokenizer = generator.tokenizer;
  const encoded = tokenizer.example(variants, contextLength - 1);
  const base = { accountId: m.accountId, replyKey: m.example.reply_key };
  if (!encoded) {
    // Too long for the model even without thread context: nothing generated, nothing scored.
    return { ...base, ...scoreReply('', reference), generated: '', lengthRatio: 0, loss: null, lossTokens: 0 };
  }
  const promptIds = tokenizer.promptIds((variants[encoded.droppedContext] ?? []).filter((c) => c.role !== 'assistant'));
  const generation = await generator.generate(promptIds, {
    temperature: 0,
    seed: options.seed ?? EVAL_SEED,
    maxNewTokens: Math.min(options.maxNewTokens, contextLength - promptIds.length - 1),
  });
  const generated = generation.text.trim();
  const loss = await replyLoss(generator, encoded.ids, encoded.mask);
  return {
    ...base,
    ...scoreReply(generated, reference),
    generated,
    lengthRatio: reference.length ? generated.length / reference.length : null,
    loss: loss.tokens ? loss.nll / loss.tokens : null,
    lossTokens: loss.tokens,
  };
}

/**
 * Summed negative log-likelihood (natural log) of the tokens where `mask` is 1, each predicted
 * from the tokens before it: the prompt runs once into the KV cache, then the reply in one pass
 * with the logits of every position.
 */
export async function replyLoss(
  generator: Generator,
  ids: readonly number[],
  mask: Uint8Array,
): Promise<{ nll: number; tokens: number }> {
  const first = mask.indexOf(1);
  if (first <= 0) return { nll: 0, tokens: 0 };
  const vocab = generator.lm.shape.vocab;
  const prompt = await generator.lm.forward(ids.slice(0, first));
  let nll = -logSoftmaxAt(prompt.lastLogits, 0, vocab, ids[first] as number);
  let tokens = 1;
  if (ids.length - first > 1) {
    // Position first+j predicts token first+j+1.
    const rest = await generator.lm.forward(ids.slice(first, ids.length - 1), prompt.cache, { allLogits: true });
    const logits = rest.logits as Float32Array;
    for (let j = 0; first + j + 1 < ids.length; j++) {
      if (mask[first + j + 1] !== 1) continue;
      nll -= logSoftmaxAt(logits, j * vocab, vocab, ids[first + j + 1] as number);
      tokens++;
    }
  }
  return { nll, tokens };
}

/** log softmax(row)[target] of the row of `vocab` logits at `offset`, computed stably. */
function logSoftmaxAt(logits: Float32Array, offset: number, vocab: number, target: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i] as number);
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp((logits[offset + i] as number) - max);
  return (logits[offset + target] as number) - max - Math.log(sum);
}

/** Means over the messages; the loss weighted by tokens, as a trainer's held-out loss is. */
export function summarizeRoute(scores: readonly RouteScore[]): RouteSummary {
  const ratios = scores.map((s) => s.lengthRatio).filter((r): r is number => r !== null);
  let nll = 0;
  let tokens = 0;
  for (const s of scores) {
    if (s.loss === null) continue;
    nll += s.loss * s.lossTokens;
    tokens += s.lossTokens;
  }
  return {
    ...summarize(scores),
    lengthRatio: ratios.length ? ratios.reduce((a, r) => a + r, 0) / ratios.length : 0,
    loss: tokens ? nll / tokens : null,
    lossTokens: tokens,
  };
}
