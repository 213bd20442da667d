// Helpers for the outbox tests: run the drafting stub as a process (so it can be SIGKILLed),
// read the Drafts mailbox as a fresh client sees it, and read the journal.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import type { TestAccount } from './account.js';

const ROOT = resolve(import.meta.dirname, '../..');
const STUB = join(ROOT, 'tests/helpers/draft-stub.ts');

export interface StubRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The first account's run summary, when the run finished. */
  summary: {
    decisions: { uid: number; subject: string | null; from: string; action: string; reason?: string }[];
    drafted: { uid: number; to: string; draftUid: number | null; replaced: number; text: string }[];
    failed: { uid: number; reason: string }[];
    recovered: number;
    feedback: { sent: number; discarded: number };
  } | null;
}

/** Runs one drafting pass (sync first unless `--no-sync`) with the fixed generator. */
export function runStub(account: TestAccount, env: Record<string, string> = {}, args: string[] = []): Promise<StubRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', STUB, account.configFile, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number; signal?: string }) | null;
        let summary: StubRun['summary'] = null;
        try {
          summary = e ? null : JSON.parse(stdout)[0];
        } catch {
          summary = null;
        }
        done({ code: e ? (e.code ?? null) : 0, signal: e?.signal ?? null, stdout, stderr, summary });
      },
    );
  });
}

export interface ServerDraft {
  uid: number;
  flags: string[];
  key: string | null;
  inReplyTo: string | undefined;
  messageId: string | undefined;
  to: string[];
  text: string;
  raw: Buffer;
}

/** Every message in a mailbox (default Drafts) not flagged \Deleted, parsed, as a fresh connection sees it. */
export async function serverDrafts(account: TestAccount, mailbox = 'Drafts'): Promise<ServerDraft[]> {
  const client = await account.client();
  const out: ServerDraft[] = [];
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      const uids = (await client.search({ deleted: false }, { uid: true })) || [];
      if (uids.length)
        for await (const m of client.fetch(uids.join(','), { uid: true, flags: true, source: true }, { uid: true })) {
          const p = await simpleParser(m.source as Buffer);
          const to = p.to && !Array.isArray(p.to) ? p.to.value.map((a) => a.address ?? '') : [];
          out.push({
            uid: m.uid,
            flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(),
            key: (p.headers.get('x-understudy-draft') as string | undefined) ?? null,
            inReplyTo: p.inReplyTo,
            messageId: p.messageId,
            to,
            text: p.text ?? '',
            raw: m.source as Buffer,
          });
        }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
  return out.sort((a, b) => a.uid - b.uid);
}

export interface JournalRow {
  id: number;
  draft_key: string;
  message_id: string;
  parent_message_id: string | null;
  parent_content: number | null;
  state: string;
  reason: string | null;
  uid: number | null;
  uidvalidity: number | null;
  body: string;
  model_key: string | null;
}

/** The drafts journal of the account's store (read-only). */
export function journal(account: TestAccount): JournalRow[] {
  const db = new Database(join(account.dir, 'data', 'understudy.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        'SELECT id, draft_key, message_id, parent_message_id, parent_content, state, reason, uid, uidvalidity, body, model_key FROM drafts ORDER BY id',
      )
      .all() as JournalRow[];
  } finally {
    db.close();
  }
}

/** Runs `sql` on the account's store (for setting up a situation, e.g. a promoted model). */
export function storeExec(account: TestAccount, sql: string): void {
  const db = new Database(join(account.dir, 'data', 'understudy.db'));
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** Adds or removes flags on one message as the user's mail client would. */
export async function userFlags(
  account: TestAccount,
  mailbox: string,
  uid: number,
  add: string[],
  remove: string[] = [],
): Promise<void> {
  const client = await account.client();
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      if (add.length) await client.messageFlagsAdd(String(uid), add, { uid: true });
      if (remove.length) await client.messageFlagsRemove(String(uid), remove, { uid: true });
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/** Deletes (UID EXPUNGE) messages as the user's client would. */
export async function userDelete(account: TestAccount, mailbox: string, uids: number[]): Promise<void> {
  const client = await account.client();
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      await client.messageDelete(uids.join(','), { uid: true });
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}
