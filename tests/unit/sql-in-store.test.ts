// All SQL lives in src/store (issue 12 item 5): no other file under src/ or daemon/ may hold a
// SQL statement in a string, prepare one, or borrow the store's statement cache. Comments may
// name IMAP's SELECT; string literals and templates may not name SQL.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** SQL statements as they are written in this code base (upper-case keywords, as SQLite's docs do). */
const SQL = [
  /\bSELECT\b[^;`'"]{0,400}?\bFROM\b/,
  /\bINSERT\s+(?:OR\s+[A-Z]+\s+)?INTO\b/,
  /\bREPLACE\s+INTO\b/,
  /\bDELETE\s+FROM\b/,
  /\bUPDATE\s+[a-z_]+\s+SET\b/,
  /\b(?:CREATE|ALTER|DROP)\s+(?:TABLE|INDEX|VIEW|TRIGGER)\b/,
  /\bPRAGMA\s+[a-z_]+/,
];
/** Ways around the store that hold no SQL keyword: preparing, pragmas, the statement cache. */
const BYPASS = [/\.prepare\(/, /\.pragma\(/, /import\s*\{[^}]*\bstmt\b[^}]*\}\s*from\s*['"][^'"]*store\/db\.js['"]/];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** The code of a TypeScript file without its comments and types (esbuild drops both), so only code and strings are searched. */
function codeOf(file: string): string {
  return transformSync(readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm', legalComments: 'none' }).code;
}

/** `file: the offending text` for each SQL statement or store bypass in the code of `file`. */
function findings(file: string): string[] {
  const code = codeOf(file);
  const out: string[] = [];
  for (const re of [...SQL, ...BYPASS]) {
    const m = re.exec(code);
    if (m) out.push(`${relative(root, file)}: ${m[0].replace(/\s+/g, ' ').slice(0, 80)}`);
  }
  return out;
}

describe('SQL lives in src/store', () => {
  it('finds the store’s own SQL (the scan works)', () => {
    const store = tsFiles(join(root, 'src/store')).filter((f) => findings(f).length > 0);
    // accounts, mailboxes, messages, dataset, drafts, model versions, training runs, evaluations, …
    expect(store.length).toBeGreaterThanOrEqual(8);
    expect(findings(join(root, 'src/store/db.ts')).join('\n')).toMatch(/\.prepare\(|\.pragma\(/);
  });

  it('finds none anywhere else in src/ or daemon/', () => {
    const outside = [...tsFiles(join(root, 'src')), ...tsFiles(join(root, 'daemon'))].filter(
      (f) => !relative(root, f).startsWith(join('src', 'store')),
    );
    expect(outside.length).toBeGreaterThan(50);
    const found = outside.flatMap(findings);
    expect(found, 'move these into a table file under src/store/ and call it from here').toEqual([]);
  });

  it('tells a comment naming IMAP SELECT from a SQL string', () => {
    const probe = (source: string) => {
      const code = transformSync(source, { loader: 'ts' }).code;
      return SQL.some((re) => re.test(code));
    };
    expect(probe('// no SELECT of the mailbox from here\nexport const a = 1;')).toBe(false);
    expect(probe("export const q = 'SELECT id FROM accounts WHERE name = ?';")).toBe(true);
    const placeholder = ['$', '{1}'].join(''); // a template with a substitution, as the code writes them
    expect(probe(`export const q = \`UPDATE drafts SET state = ${placeholder}\`;`)).toBe(true);
    expect(probe("export const q = 'INSERT OR IGNORE INTO t (a) VALUES (?)';")).toBe(true);
  });
});
