// Recognises base_model values Understudy cannot use: a GGUF file or an Ollama model name are
// what a llama.cpp or Ollama user has at hand, but training needs the Hugging Face layout
// (config.json, tokenizer, safetensors). Saying so beats advising `model pull llama3.2:1b`.
// Part of the config (loading checks train.base_model with it); src/model/base-model.ts resolves
// an accepted name to its folder.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PRESET, findPreset, PRESETS } from './presets.js';

export interface BaseModelProblem {
  message: string;
  fix: string;
}

/** What base_model (or `model pull`) accepts, and how to get it: the fix line of every problem. */
export const BASE_MODEL_FIX =
  `Understudy trains a Hugging Face-layout model folder (config.json, tokenizer.json, *.safetensors): ` +
  `set base_model to a preset (${PRESETS.map((p) => p.id).join(', ')}; default ${DEFAULT_PRESET}) or a ` +
  'Hugging Face repository id like "Qwen/Qwen2.5-0.5B-Instruct" and run `understudy model pull`, or to the ' +
  'absolute path of such a folder (e.g. one made with `huggingface-cli download REPO --local-dir DIR`). ' +
  'GGUF files and Ollama models cannot be trained; pull the model they were made from instead';

/** A GGUF/GGML weight file by its extension. */
const WEIGHT_FILE = /\.(gguf|ggml|bin)$/i;
/** An Ollama model reference: name:tag, optionally namespaced (library/llama3:8b). */
const OLLAMA_NAME = /^(?:[\w.-]+\/)?[\w.-]+:[\w.-]+$/;

/**
 * Why `name` (base_model as written, or resolved to an absolute path) cannot be a base model, or
 * null when it may be one: a preset, a repository id, or a folder holding config.json. Paths
 * (starting with "/", "." or "~") are looked at on disk; with `missingOk` a path that does not
 * exist (yet) passes, as when the config is read before the folder is made.
 */
export function baseModelProblem(name: string, options: { missingOk?: boolean } = {}): BaseModelProblem | null {
  if (findPreset(name)) return null;
  if (WEIGHT_FILE.test(name))
    return {
      message: `"${name}" is a ${name.split('.').pop()?.toUpperCase()} weight file (llama.cpp/Ollama), which cannot be fine-tuned`,
      fix: BASE_MODEL_FIX,
    };
  if (OLLAMA_NAME.test(name))
    return { message: `"${name}" looks like an Ollama model name (name:tag), not a base model`, fix: BASE_MODEL_FIX };
  if (/^[/.~]/.test(name)) {
    if (!existsSync(name))
      return options.missingOk ? null : { message: `the folder ${name} does not exist`, fix: BASE_MODEL_FIX };
    if (!statSync(name).isDirectory()) return { message: `${name} is a file, not a model folder`, fix: BASE_MODEL_FIX };
    if (!options.missingOk && !existsSync(join(name, 'config.json')))
      return { message: `${name} has no config.json: not a Hugging Face-layout model folder`, fix: BASE_MODEL_FIX };
  }
  return null;
}
