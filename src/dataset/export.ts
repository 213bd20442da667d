// Writes the dataset as JSONL chat records ({"messages":[…]} per line): the format Hugging Face
// TRL, MLX-LM and OpenAI-style fine-tuning tools read.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Db } from '../store/db.js';
import { storedExamples } from '../store/examples.js';

export interface ExportOptions {
  split?: 'train' | 'eval';
  /** Add a "metadata" object (split, language, date, how the parent was found, warnings) beside "messages". */
  metadata?: boolean;
}

/**
 * The dataset's records as JSONL lines (each ends in "\n"), oldest first: what exportJsonl writes
 * to a file and `dataset export -` to stdout.
 */
export function* jsonlLines(db: Db, accountId: number, options: ExportOptions = {}): Generator<string> {
  for (const e of storedExamples(db, accountId, options.split)) {
    const record: Record<string, unknown> = {
      messages: (JSON.parse(e.conversation) as { messages: unknown[] }).messages,
    };
    if (options.metadata)
      record.metadata = {
        split: e.split,
        language: e.language,
        date: new Date(e.reply_date).toISOString(),
        paired_by: e.paired_by,
        // The incoming message was rebuilt from the quote inside the reply (the original is not stored).
        parent_reconstructed: e.paired_by === 'reconstructed',
        warnings: e.pairing ? ((JSON.parse(e.pairing) as { warnings?: string[] }).warnings ?? []) : [],
      };
    yield `${JSON.stringify(record)}\n`;
  }
}

/** Writes atomically (temp file, then rename) and returns the number of lines written. */
export function exportJsonl(db: Db, accountId: number, path: string, options: ExportOptions = {}): number {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  let n = 0;
  try {
    try {
      for (const line of jsonlLines(db, accountId, options)) {
        writeSync(fd, line);
        n++;
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    // A full disk or a folder in the way at `path`: no half-written temporary file left beside it.
    rmSync(tmp, { force: true });
    throw err;
  }
  return n;
}
