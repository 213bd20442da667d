// Base-model resolution: which folder `train.base_model` means (a pulled preset or repository, or
// a folder given by path), with the repository and commit it came from when it was pulled.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { baseModelProblem } from '../config/base-model-name.js';
import type { Config } from '../config/load.js';
import { findPreset } from '../config/presets.js';
import { ModelError } from './errors.js';
import { baseModelDir, readManifest } from './pull.js';

/** A base model folder in Hugging Face layout and where it came from (null when not pulled). */
export interface BaseModel {
  /** Absolute path of the folder (config.json, tokenizer, safetensors). */
  dir: string;
  repo: string | null;
  commit: string | null;
}

/**
 * The base model folder: a pulled preset/repository, or a folder given in the config. Never
 * downloads.
 * @throws ModelError NO_BASE_MODEL when base_model is no model folder (a GGUF file, an Ollama
 *   name: the message says what to set instead), or names a model not pulled yet.
 */
export function resolveBaseModel(config: Config): BaseModel {
  const name = config.train.baseModel;
  if (name.startsWith('/') && existsSync(join(name, 'config.json'))) {
    const manifest = readManifest(name);
    return { dir: name, repo: manifest?.repo ?? null, commit: manifest?.commit ?? null };
  }
  // A path that is no model folder, a GGUF file, an Ollama name: `model pull` cannot help.
  const problem = baseModelProblem(name);
  if (problem) throw new ModelError('NO_BASE_MODEL', `${problem.message}. ${problem.fix}`);
  const repo = findPreset(name)?.repo ?? name;
  const dir = baseModelDir(config.dataDir, repo);
  const manifest = readManifest(dir);
  if (!manifest) {
    throw new ModelError(
      'NO_BASE_MODEL',
      `the base model ${name} is not downloaded yet; run: understudy model pull ${name}`,
    );
  }
  return { dir, repo: manifest.repo, commit: manifest.commit };
}
