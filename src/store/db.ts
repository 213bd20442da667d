// Opens the SQLite store (better-sqlite3): private file modes, WAL, foreign keys, migrations.
import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, storeErrorFrom } from './errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the store at `path`, with its folder 0700 and file 0600.
 * @throws StoreError: STORE_READ_ONLY (EROFS, EACCES, SQLITE_READONLY), STORE_DISK_FULL (ENOSPC,
 *   SQLITE_FULL), STORE_BUSY, STORE_IO_ERROR, STORE_OPEN_FAILED for anything else; STORE_TOO_NEW
 *   and STORE_MIGRATION_FAILED from the migrations.
 */
export function openStore(path: string): Db {
  let db: Db | undefined;
  try {
    ensurePrivateDir(dirname(path));
    // Create the file ourselves so it is 0600 from its first byte; SQLite gives its -wal and
    // -shm files the same mode as the database file.
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    db = new Database(path, { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode (only power loss can drop the
    // last commits, which the next sync refetches).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Deleted rows (an excluded folder, `privacy exclude`, expunged mail) must not stay readable
    // in free pages: secure_delete overwrites their bytes with zeros, in the WAL frames that
    // record the delete and so in the database file once they are checkpointed.
    db.pragma('secure_delete = ON');
  } catch (err) {
    db?.close();
    // The real cause (a read-only mount, a full disk) decides the message and the exit code.
    throw (
      storeErrorFrom(err, path) ??
      new StoreError('STORE_OPEN_FAILED', `cannot open the store at ${path}: ${(err as Error).message}`, err)
    );
  }
  migrate(db);
  return db;
}

/**
 * Creates a folder (and parents) readable by its owner only; tightens one that exists.
 * Hand-written rather than `mkdirSync(dir, { recursive: true })`: Node's recursive mkdir spins
 * forever under a pseudo file system that answers ENOENT for a parent that exists (procfs:
 * data_dir = "/proc/understudy" ran at 100 % CPU). Each missing folder is created once, from the
 * nearest existing parent down.
 * @throws the file system's error: ENOTDIR (a file in the way), EROFS (a read-only mount: the
 *   nearest existing parent is checked for writing, so that it surfaces instead of ENOENT),
 *   EACCES/EPERM, ENOSPC.
 */
export function ensurePrivateDir(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) {
    missing.unshift(at);
    at = dirname(at);
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, { mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(folder).isDirectory()) continue; // made by a racing process
      if (code === 'ENOENT') accessSync(dirname(folder), constants.W_OK); // EROFS / EACCES when that is it
      throw err;
    }
  }
  if (!statSync(dir).isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), {
      code: 'ENOTDIR',
      syscall: 'mkdir',
      path: dir,
    });
  }
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Brings the schema to the newest version; each migration is one transaction. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = MIGRATIONS.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new StoreError(
      'STORE_TOO_NEW',
      `the store was written by a newer Understudy (schema ${current}, this one knows ${newest}); upgrade Understudy`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (err) {
      const local = storeErrorFrom(err);
      if (local) throw local;
      throw new StoreError(
        'STORE_MIGRATION_FAILED',
        `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`,
        err,
      );
    }
  }
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, cached per connection (preparing is the expensive part). */
export function stmt<P extends unknown[] | object = unknown[], R = unknown>(
  db: Db,
  sql: string,
): Database.Statement<P, R> {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let s = cache.get(sql);
  if (!s) {
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s as unknown as Database.Statement<P, R>;
}
