// Numbered schema migrations. Append new ones; never edit one that has shipped.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'accounts, mailboxes, messages and their contents',
    sql: `
      CREATE TABLE accounts (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        host          TEXT NOT NULL,
        user          TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        last_sync_at  INTEGER,           -- end of the last sync that completed for every mailbox
        last_error    TEXT,              -- message of the last failed sync, NULL after a good one
        last_error_kind TEXT             -- 'temporary' | 'auth' | 'final'
      );

      CREATE TABLE mailboxes (
        id            INTEGER PRIMARY KEY,
        account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        path          TEXT NOT NULL,
        delimiter     TEXT,
        special_use   TEXT,              -- RFC 6154 flag (\\Sent, \\Archive, \\All) or \\Inbox
        uidvalidity   INTEGER,           -- NULL until the first SELECT
        uidnext       INTEGER NOT NULL DEFAULT 1,  -- every UID below this was seen (set when a sync completes)
        highestmodseq TEXT,              -- RFC 7162 HIGHESTMODSEQ as of the last complete sync (decimal)
        last_sync_at  INTEGER,
        last_error    TEXT,
        UNIQUE (account_id, path)
      );

      -- What a message says, shared by its copies in several mailboxes (Gmail's All Mail holds
      -- every message again): keyed by Message-ID and size, so a copy costs one small row.
      CREATE TABLE contents (
        id             INTEGER PRIMARY KEY,
        account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        dedupe_key     TEXT NOT NULL,
        headers        TEXT NOT NULL,     -- the raw header block
        mime_type      TEXT,              -- top-level Content-Type
        body_text      TEXT,              -- decoded text/plain, NULL when the message has none
        body_html      TEXT,              -- decoded text/html, NULL when the message has none
        text_truncated INTEGER NOT NULL DEFAULT 0,
        attachments    TEXT NOT NULL DEFAULT '[]',  -- JSON: part, type, filename, size, disposition
        UNIQUE (account_id, dedupe_key)
      );

      CREATE TABLE messages (
        id               INTEGER PRIMARY KEY,
        mailbox_id       INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        uid              INTEGER NOT NULL,
        content_id       INTEGER NOT NULL REFERENCES contents(id),
        message_id       TEXT,
        in_reply_to      TEXT,
        refs             TEXT,            -- References, space-separated <ids>
        from_addr        TEXT,            -- JSON [{name, address}]
        to_addrs         TEXT,
        cc_addrs         TEXT,
        reply_to         TEXT,
        subject          TEXT,
        date             INTEGER,         -- Date: header, ms since epoch (internal date when absent)
        internal_date    INTEGER,
        flags            TEXT NOT NULL DEFAULT '',  -- space-separated, sorted
        modseq           TEXT,
        size             INTEGER,
        list_id          TEXT,
        list_unsubscribe TEXT,
        auto_submitted   TEXT,
        precedence       TEXT,
        fetched_at       INTEGER NOT NULL,
        UNIQUE (mailbox_id, uid)
      );
      CREATE INDEX messages_message_id ON messages (message_id);
      CREATE INDEX messages_in_reply_to ON messages (in_reply_to);
      CREATE INDEX messages_content ON messages (content_id);
      CREATE INDEX messages_date ON messages (date);
    `,
  },
];
