// The Ollama Modelfile written beside an exported GGUF: the prompt layout the version was trained
// on (the tokenizer's chat template around src/model/prompt.ts's system and user turns), its
// stop tokens and the sampling settings drafts use, so `ollama create NAME -f FILE` prompts the
// model exactly as Understudy does. Format: https://github.com/ollama/ollama/blob/main/docs/modelfile.md
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UnderstudyError } from '../errors.js';
import { ChatTokenizer } from './chat-tokenizer.js';

// Markers rendered through the chat template, then replaced by Ollama's template variables: the
// template itself (Jinja in tokenizer_config.json) is not something Ollama can read.
const SYSTEM_MARK = '\u0001UNDERSTUDY_SYSTEM\u0001';
const PROMPT_MARK = '\u0001UNDERSTUDY_PROMPT\u0001';
/** Tokens that close a chat turn (ChatML, Llama 3, Phi, Gemma), as ChatTokenizer knows them. */
const END_OF_TURN = ['<|im_end|>', '<|eot_id|>', '<|end|>', '<end_of_turn>'];

export interface ModelfileOptions {
  /** The GGUF file; the Modelfile refers to it by its name, relative to the Modelfile's folder. */
  ggufFile: string;
  /** The base model folder whose tokenizer (and chat template) the version was trained with. */
  modelDir: string;
  /** The system turn (src/model/prompt.ts systemPrompt) for the user the model writes as. */
  system: string;
  /** Sampling as `[drafts]` sets it. */
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** The training's max_seq_len: the context length the model learned on. */
  contextLength: number;
}

/** The Modelfile's path for a GGUF file: `anna.gguf` → `anna.Modelfile`, in the same folder. */
export function modelfilePath(ggufFile: string): string {
  return join(dirname(ggufFile), `${basename(ggufFile).replace(/\.gguf$/i, '')}.Modelfile`);
}

/**
 * The Modelfile's text. TEMPLATE is the version's own prompt, rendered by the same code training
 * and drafting use (ChatTokenizer.promptText: the chat template, or Alpaca's layout for a model
 * without one), with `{{ .System }}` and `{{ .Prompt }}` where the system and user turns go. The
 * stop tokens are the ones that end the reply in training.
 *
 * @throws whatever ChatTokenizer.load throws for a folder without a readable tokenizer
 */
export async function renderModelfile(o: ModelfileOptions): Promise<string> {
  const tokenizer = await ChatTokenizer.load(o.modelDir);
  const prompt = tokenizer.promptText([
    { role: 'system', content: SYSTEM_MARK },
    { role: 'user', content: PROMPT_MARK },
  ]);
  const stops = stopStrings(o.modelDir, tokenizer.endOfTurnIds);
  // After the reply, the end-of-turn token closes the assistant's turn, as in training (only the
  // chat-template layout has one; Alpaca's ends with EOS, which is not text).
  const closing = tokenizer.hasChatTemplate && stops[0] ? stops[0] : '';
  const template = `${prompt.replace(SYSTEM_MARK, '{{ .System }}').replace(PROMPT_MARK, '{{ .Prompt }}')}{{ .Response }}${closing}`;
  if (!template.includes('{{ .Prompt }}'))
    throw new UnderstudyError(
      'MODELFILE_UNSUPPORTED',
      'final',
      `the chat template of ${o.modelDir} dropped the user turn; cannot write a Modelfile`,
      { fix: 'export without --modelfile and write the Modelfile TEMPLATE by hand' },
    );
  const lines = [
    '# Ollama Modelfile written by `understudy model export`: the prompt layout, stop tokens and',
    '# sampling this version was trained and drafts with. Create the model with',
    `#   ollama create NAME -f ${basename(modelfilePath(o.ggufFile))}`,
    '# and give it a message the way Understudy renders one (the user turn):',
    '#   From: Tom Baker <tom@example.com>',
    '#   To: you <you@example.com>',
    '#   Date: Monday 6 January 2025, 09:00 UTC',
    '#   Subject: lunch',
    '#',
    '#   Are you free on Friday?',
    '# SYSTEM says who you are and the date it was exported on: change "Today is" if it matters.',
    `FROM ./${basename(o.ggufFile)}`,
    `TEMPLATE ${quoted(template)}`,
    `SYSTEM ${quoted(o.system)}`,
    ...stops.map((s) => `PARAMETER stop ${JSON.stringify(s)}`),
    `PARAMETER temperature ${o.temperature}`,
    `PARAMETER top_p ${o.topP}`,
    `PARAMETER num_predict ${o.maxNewTokens}`,
    `PARAMETER num_ctx ${o.contextLength}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** Writes the Modelfile beside `o.ggufFile` (atomically) and returns its path. */
export async function writeModelfile(o: ModelfileOptions): Promise<string> {
  const path = modelfilePath(o.ggufFile);
  const text = await renderModelfile(o);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}

/** Ollama's triple-quoted value; a `"""` inside (never in our prompts) would end it early, so it is broken up. */
function quoted(text: string): string {
  return `"""${text.replaceAll('"""', '" ""')}"""`;
}

/** The text of the end-of-turn token ids (special tokens, from tokenizer.json). */
function stopStrings(modelDir: string, ids: readonly number[]): string[] {
  const json = JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')) as {
    added_tokens?: { id: number; content: string }[];
    model?: { vocab?: Record<string, number> };
  };
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(json.model?.vocab ?? {})) byId.set(id, token);
  for (const t of json.added_tokens ?? []) byId.set(t.id, t.content);
  const strings = ids.map((id) => byId.get(id)).filter((s): s is string => Boolean(s));
  // The chat template's own end-of-turn token first (the one that closes a turn), then EOS.
  const turn = (s: string) => Number(END_OF_TURN.includes(s));
  return [...new Set(strings)].sort((a, b) => turn(b) - turn(a));
}
