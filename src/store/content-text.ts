// The content_text table: what the author wrote in each stored content, derived once by the
// dataset's cleaning and reused until the content or the cleaning rules change; and the stored
// content it is derived from.
import { type Db, stmt } from './db.js';

/** A stored content's raw parts, as cleaning reads them (attachments: JSON). */
export interface ContentForCleaning {
  id: number;
  headers: string;
  mime_type: string | null;
  body_text: string | null;
  body_html: string | null;
  attachments: string;
}

/** The content with row id `contentId`, or undefined when it is gone. */
export function contentForCleaning(db: Db, contentId: number): ContentForCleaning | undefined {
  return stmt<[number], ContentForCleaning>(
    db,
    'SELECT id, headers, mime_type, body_text, body_html, attachments FROM contents WHERE id = ?',
  ).get(contentId);
}

/** The cleaned text of one content (quoted/forwarded: 0 or 1; skip_reasons: JSON SkipReason[]). */
export interface ContentTextRow {
  content_id: number;
  rules: string;
  own_text: string | null;
  quoted: number;
  forwarded: number;
  signature: string | null;
  language: string | null;
  skip_reasons: string;
  error: string | null;
}

/** The cached cleaned text of a content, whatever rules made it (the caller compares `rules`). */
export function contentText(db: Db, contentId: number): ContentTextRow | undefined {
  return stmt<[number], ContentTextRow>(db, 'SELECT * FROM content_text WHERE content_id = ?').get(contentId);
}

/** Stores (or replaces) the cleaned text of a content. */
export function putContentText(db: Db, row: ContentTextRow): void {
  stmt(
    db,
    `INSERT OR REPLACE INTO content_text (content_id, rules, own_text, quoted, forwarded, signature, language, skip_reasons, error)
     VALUES (@content_id, @rules, @own_text, @quoted, @forwarded, @signature, @language, @skip_reasons, @error)`,
  ).run(row);
}

/** Contents that could not be read at all (malformed MIME, undecodable text), with why. */
export function unreadableContents(db: Db, accountId: number): { content_id: number; error: string }[] {
  return stmt<[number], { content_id: number; error: string }>(
    db,
    `SELECT t.content_id, t.error FROM content_text t JOIN contents c ON c.id = t.content_id
     WHERE c.account_id = ? AND t.error IS NOT NULL`,
  ).all(accountId);
}
