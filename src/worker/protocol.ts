// The Python worker's line protocol as seen from TypeScript (models/trainer/protocol.py is the
// other side): the commands it runs and the JSON events it prints, one per line on stdout.

/** The commands of models/trainer/worker.py; each reads its JSON config from stdin. */
export type WorkerCommand = 'train' | 'export' | 'export-gguf' | 'logits' | 'generate' | 'bench' | 'devices';

/**
 * One line of the worker's stdout. `event` names it: "progress", "metrics", … while it runs; a
 * run ends with "done" (the result's fields) or "error" (`code`: one of WORKER_PROTOCOL_CODES in
 * src/worker/errors.ts, `message`: what to do).
 */
export interface WorkerEvent {
  event: string;
  [key: string]: unknown;
}
