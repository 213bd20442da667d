// Base models Understudy knows how to fine-tune, with what a user needs to choose one: the names
// train.base_model and `model pull` accept besides a repository id or a folder. Config vocabulary
// (the config is checked against it when loaded); src/model/base-model.ts resolves a name to a folder.

export interface ModelPreset {
  id: string;
  /** Hugging Face repository. */
  repo: string;
  /**
   * The revision pulled. Presets name the branch; `model pull` resolves it to the exact commit
   * it downloaded and records that in the model's manifest, and everything later uses that
   * snapshot, so a model never changes under a trained adapter.
   */
  revision: string;
  family: 'llama' | 'qwen2' | 'qwen3';
  license: string;
  parameters: string;
  /** Download size (safetensors, as published). */
  downloadGb: number;
  languages: string;
  notes: string;
}

export const PRESETS: readonly ModelPreset[] = [
  {
    id: 'qwen2.5-0.5b-instruct',
    repo: 'Qwen/Qwen2.5-0.5B-Instruct',
    revision: 'main',
    family: 'qwen2',
    license: 'Apache-2.0',
    parameters: '0.49B',
    downloadGb: 1.0,
    languages: '29+ languages incl. English, Dutch, German, French, Spanish',
    notes: 'Default: small, multilingual, trains in minutes on a consumer GPU.',
  },
  {
    id: 'qwen2.5-1.5b-instruct',
    repo: 'Qwen/Qwen2.5-1.5B-Instruct',
    revision: 'main',
    family: 'qwen2',
    license: 'Apache-2.0',
    parameters: '1.5B',
    downloadGb: 3.1,
    languages: '29+ languages incl. English, Dutch, German, French, Spanish',
    notes: 'Better writing than 0.5B; needs ~8 GB of GPU memory to train with LoRA.',
  },
  {
    id: 'qwen3-0.6b',
    repo: 'Qwen/Qwen3-0.6B',
    revision: 'main',
    family: 'qwen3',
    license: 'Apache-2.0',
    parameters: '0.6B',
    downloadGb: 1.5,
    languages: '100+ languages',
    notes: 'Newer family; Understudy prompts it without its thinking mode.',
  },
  {
    id: 'smollm2-360m-instruct',
    repo: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    revision: 'main',
    family: 'llama',
    license: 'Apache-2.0',
    parameters: '0.36B',
    downloadGb: 0.72,
    languages: 'English',
    notes: 'Small and fast; English mail only.',
  },
  {
    id: 'smollm2-135m-instruct',
    repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    revision: 'main',
    family: 'llama',
    license: 'Apache-2.0',
    parameters: '0.135B',
    downloadGb: 0.27,
    languages: 'English',
    notes: 'Tiny: trains even on a CPU, drafts are basic.',
  },
  {
    id: 'elm',
    repo: 'Joaoffg/ELM',
    revision: 'main',
    family: 'llama',
    license: 'see the model card (Llama 2 derived)',
    parameters: '~0.9B',
    downloadGb: 1.8,
    languages: 'English, Dutch',
    notes:
      'The Erasmian Language Model, whose fine-tuning for one’s own writing inspired this project. No chat template: prompted Alpaca-style.',
  },
];

export const DEFAULT_PRESET = 'qwen2.5-0.5b-instruct';

export function findPreset(id: string): ModelPreset | undefined {
  return PRESETS.find((p) => p.id === id);
}
