// Tokenizes conversations with the base model's own tokenizer and chat template
// (transformers.js, local files only), marking which tokens carry loss: the assistant's reply
// and its end-of-turn token, nothing of the prompt.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { disableOnnxTelemetry } from '../config/no-telemetry.js';
import type { ChatMessage } from './prompt.js';

/**
 * transformers.js, loaded on first use (it is large, and most commands never tokenize), and
 * set up so that nothing is ever downloaded implicitly (DESIGN: "Only your mail server is
 * contacted").
 */
async function transformers(): Promise<typeof import('@huggingface/transformers')> {
  disableOnnxTelemetry(); // transformers.js loads onnxruntime-node: no telemetry (config/no-telemetry.ts)
  const lib = await import('@huggingface/transformers');
  lib.env.allowRemoteModels = false;
  lib.env.allowLocalModels = true;
  lib.env.localModelPath = '/';
  return lib;
}

export interface TokenizedExample {
  ids: number[];
  /** 1 where the token is a training target (reply + end of turn), else 0. */
  mask: Uint8Array;
  /** Earlier thread messages that had to be dropped to fit. */
  droppedContext: number;
}

/**
 * Alpaca's layout, for base models whose tokenizer has no chat template (ELM, older Llama 2
 * fine-tunes): plain text sections the model has likely seen, closed by the EOS token.
 */
const ALPACA = {
  prompt: (system: string, user: string) => `### Instruction:\n${system}\n\n### Input:\n${user}\n\n### Response:\n`,
};

export class ChatTokenizer {
  private constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    readonly hasChatTemplate: boolean,
    /** Token ids that end the assistant's turn (the template's end-of-turn token, or EOS). */
    readonly endOfTurnIds: number[],
    readonly eosTokenId: number,
    readonly padTokenId: number,
    /** Rows of the model's embedding (config.json vocab_size), or the tokenizer's size. */
    private readonly modelVocabSize: number | null,
  ) {}

  static async load(modelDir: string): Promise<ChatTokenizer> {
    const { AutoTokenizer } = await transformers();
    const tokenizer = await AutoTokenizer.from_pretrained(modelDir.replace(/\/+$/, ''), { local_files_only: true });
    const hasTemplate = Boolean(tokenizer.chat_template);
    const eos = tokenizer.eos_token_id ?? 0;
    const endOfTurn = new Set<number>([eos]);
    // Chat templates end a turn with their own token (Qwen/ChatML: <|im_end|>, Llama 3: <|eot_id|>).
    for (const token of ['<|im_end|>', '<|eot_id|>', '<|end|>', '<end_of_turn>']) {
      const ids = tokenizer.encode(token, { add_special_tokens: false });
      if (ids.length === 1 && tokenizer.all_special_ids.includes(ids[0] as number)) endOfTurn.add(ids[0] as number);
    }
    let modelVocab: number | null = null;
    try {
      modelVocab = Number(JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')).vocab_size) || null;
    } catch {
      modelVocab = null;
    }
    return new ChatTokenizer(tokenizer, hasTemplate, [...endOfTurn], eos, tokenizer.pad_token_id ?? eos, modelVocab);
  }

  get vocabSize(): number {
    if (this.modelVocabSize) return this.modelVocabSize;
    const json = (
      this.tokenizer as unknown as {
        _tokenizerJSON?: { added_tokens?: { id: number }[]; model?: { vocab?: Record<string, number> } };
      }
    )._tokenizerJSON;
    const ids = [...Object.values(json?.model?.vocab ?? {}), ...(json?.added_tokens ?? []).map((t) => t.id)];
    return ids.reduce((max, id) => Math.max(max, id + 1), 0);
  }

  /** The prompt to complete: system and user turns, then the opening of the assistant's turn. */
  promptIds(messages: readonly ChatMessage[]): number[] {
    return this.encode(this.promptText(messages));
  }

  promptText(messages: readonly ChatMessage[]): string {
    const turns = messages.filter((m) => m.role !== 'assistant');
    if (!this.hasChatTemplate) return ALPACA.prompt(textOf(turns, 'system'), textOf(turns, 'user'));
    return this.tokenizer.apply_chat_template(
      turns as ChatMessage[],
      {
        tokenize: false,
        add_generation_prompt: true,
        // Qwen3: answer directly, no reasoning block (the same form training used).
        enable_thinking: false,
      } as Record<string, unknown>,
    ) as unknown as string;
  }

  /**
   * A whole (prompt, reply) conversation as ids and loss mask, or null when even the reply with
   * a minimal prompt does not fit in `maxLen`. To fit, earlier thread messages are dropped first
   * (oldest first) via `variants`, which holds the same conversation with less context.
   */
  example(variants: readonly ChatMessage[][], maxLen: number): TokenizedExample | null {
    for (let i = 0; i < variants.length; i++) {
      const messages = variants[i] as ChatMessage[];
      const encoded = this.encodeConversation(messages);
      if (encoded && encoded.ids.length <= maxLen) return { ...encoded, droppedContext: i };
    }
    return null;
  }

  decode(ids: readonly number[]): string {
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: true });
  }

  private encodeConversation(messages: ChatMessage[]): { ids: number[]; mask: Uint8Array } | null {
    const reply = messages.find((m) => m.role === 'assistant')?.content;
    if (reply === undefined) return null;
    const prompt = this.promptText(messages);
    let full: string;
    if (this.hasChatTemplate) {
      full = this.tokenizer.apply_chat_template(messages, { tokenize: false, enable_thinking: false } as Record<
        string,
        unknown
      >) as unknown as string;
    } else {
      full = `${prompt}${reply}`;
    }
    // The reply starts where the rendered prompt ends; templates that render the final assistant
    // turn differently from the generation prompt are caught here rather than trained on.
    if (!full.startsWith(prompt)) return null;
    const promptIds = this.encode(prompt);
    const ids = this.encode(full);
    if (!this.hasChatTemplate) ids.push(this.eosTokenId);
    // Tokens shared with the prompt carry no loss; BPE may merge across the boundary, so the
    // reply begins at the first token that differs.
    let start = 0;
    while (start < promptIds.length && start < ids.length && ids[start] === promptIds[start]) start++;
    // Loss ends with the end-of-turn token; what the template adds after it (a newline) is not a target.
    let end = ids.length - 1;
    while (end > start && !this.endOfTurnIds.includes(ids[end] as number)) end--;
    if (end <= start) end = ids.length - 1;
    const mask = new Uint8Array(ids.length);
    mask.fill(1, start, end + 1);
    return { ids, mask };
  }

  /**
   * Chat templates write their own BOS (as text) where the model wants one; without a template
   * the BOS a Llama-style model was trained with is added here.
   */
  private encode(text: string): number[] {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false });
    const bos = this.tokenizer.bos_token_id;
    if (!this.hasChatTemplate && bos !== null && bos !== undefined && ids[0] !== bos) ids.unshift(bos);
    return ids;
  }
}

function textOf(messages: readonly ChatMessage[], role: ChatMessage['role']): string {
  return messages
    .filter((m) => m.role === role)
    .map((m) => m.content)
    .join('\n\n');
}
