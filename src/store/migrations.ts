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
  {
    version: 2,
    name: 'dataset: cleaned text per content, reply pairs, drops',
    sql: `
      -- What the author wrote in each stored content, derived once (the expensive part of a
      -- dataset build) and reused until the content or the cleaning rules change.
      CREATE TABLE content_text (
        content_id   INTEGER PRIMARY KEY REFERENCES contents(id) ON DELETE CASCADE,
        rules        TEXT NOT NULL,        -- version of the cleaning rules + signature set it was made with
        own_text     TEXT,                 -- the author's own words; NULL when unreadable
        quoted       INTEGER NOT NULL DEFAULT 0,
        forwarded    INTEGER NOT NULL DEFAULT 0,
        signature    TEXT,
        language     TEXT,
        skip_reasons TEXT NOT NULL DEFAULT '[]',  -- JSON SkipReason[] (auto_reply, bulk, …)
        error        TEXT                  -- why the content could not be read, if it could not
      );

      -- One row per training example: an incoming message and the user's reply to it.
      CREATE TABLE examples (
        id              INTEGER PRIMARY KEY,
        account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        reply_key       TEXT NOT NULL,     -- Message-ID of the reply (or its content key)
        reply_content   INTEGER NOT NULL,
        parent_content  INTEGER NOT NULL,
        paired_by       TEXT NOT NULL,     -- 'headers' (In-Reply-To/References) or 'quote'
        thread_key      TEXT NOT NULL,     -- the thread's root Message-ID: a thread never straddles the split
        reply_date      INTEGER NOT NULL,
        correspondent   TEXT,              -- address of the parent's sender
        language        TEXT NOT NULL,
        reply_chars     INTEGER NOT NULL,
        split           TEXT NOT NULL,     -- 'train' | 'eval'
        conversation    TEXT NOT NULL,     -- JSON {messages: [{role, content}, …]} as rendered for training
        source          TEXT NOT NULL,     -- JSON {input: PromptInput, reply}: re-rendered when context must shrink to fit
        UNIQUE (account_id, reply_key)
      );
      CREATE INDEX examples_split ON examples (account_id, split, reply_date);

      -- Sent messages that did not become an example, and why (shown by dataset stats).
      CREATE TABLE dataset_drops (
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        reply_key   TEXT NOT NULL,
        reason      TEXT NOT NULL,
        detail      TEXT,
        PRIMARY KEY (account_id, reply_key)
      );

      -- What the last build saw, so an unchanged store is not rebuilt.
      CREATE TABLE dataset_builds (
        account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL,
        built_at    INTEGER NOT NULL,
        summary     TEXT NOT NULL          -- JSON of the build summary
      );
    `,
  },
  {
    version: 3,
    name: 'model registry and training runs',
    sql: `
      -- Each training run that produced a model is a version: a folder with the adapter, the
      -- merged ONNX model, metrics and a data summary.
      CREATE TABLE model_versions (
        id             INTEGER PRIMARY KEY,
        created_at     INTEGER NOT NULL,
        base           TEXT NOT NULL,       -- base model folder
        base_repo      TEXT,                -- Hugging Face repository and commit, when pulled
        base_commit    TEXT,
        dir            TEXT NOT NULL,
        status         TEXT NOT NULL,       -- candidate | promoted | retired | rejected
        eval_loss      REAL,                -- held-out loss with this adapter
        base_eval_loss REAL,                -- the same held-out replies under the base model
        score          REAL,                -- generated held-out replies vs what was sent (chrF, 0..100)
        style_match    REAL,                -- share of generated replies with the right greeting, sign-off and language
        metrics        TEXT NOT NULL,       -- JSON
        data           TEXT NOT NULL        -- JSON: examples, tokens, date range
      );

      CREATE TABLE training_runs (
        id           INTEGER PRIMARY KEY,
        started_at   INTEGER NOT NULL,
        finished_at  INTEGER,
        status       TEXT NOT NULL,         -- running | done | failed | cancelled
        device       TEXT,
        steps        INTEGER,
        examples     INTEGER,
        error        TEXT,
        version_id   INTEGER REFERENCES model_versions(id)
      );
    `,
  },
  {
    version: 4,
    name: 'drafts outbox',
    sql: `
      -- The outbox. A row is written BEFORE its APPEND (mbsync's journal discipline): after a
      -- crash, a 'planned' row means "search Drafts for draft_key before appending again".
      -- States, each once:
      --   planned     row written, APPEND not confirmed yet
      --   appended    on the server: mailbox / uidvalidity / uid
      --   superseded  replaced by a newer draft of ours, and removed from the server by us
      --   sent        the user sent a reply to the same message (feedback holds how much was kept)
      --   discarded   gone from Drafts, and no reply was sent
      --   failed      nothing was appended (generation refused, composing failed); reason says why
      CREATE TABLE drafts (
        id               INTEGER PRIMARY KEY,
        account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        draft_key        TEXT NOT NULL UNIQUE,   -- our X-Understudy-Draft header value
        message_id       TEXT NOT NULL,          -- the draft's own Message-ID
        parent_message_id TEXT,                  -- the message it answers
        parent_content   INTEGER,
        thread_key       TEXT NOT NULL,
        state            TEXT NOT NULL,
        reason           TEXT,
        mailbox          TEXT,
        uidvalidity      INTEGER,
        uid              INTEGER,
        raw              BLOB,                   -- the exact message appended (re-appended identically after a crash)
        body             TEXT NOT NULL,          -- the reply text the model wrote (for feedback)
        mode             TEXT NOT NULL,          -- 'model' (a trained version) or 'cold_start' (base model + examples)
        model_version    INTEGER,
        generation       TEXT,                   -- JSON: tokens, stop reason, timings
        feedback         TEXT,                   -- JSON: similarity and outcome, once the user replied
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL
      );
      CREATE INDEX drafts_thread ON drafts (account_id, thread_key, state);
      CREATE INDEX drafts_parent ON drafts (parent_message_id);
    `,
  },
  {
    version: 5,
    name: 'drafts outbox: declared states, the parent by identity, the model a refusal was made with',
    sql: `
      -- A message is (account, mailbox, UIDVALIDITY, UID) plus its content; Message-ID is only a
      -- threading key (two different messages may share one). The draft remembers which copy it
      -- answers; parent_content stays the key for "this message already has a draft".
      ALTER TABLE drafts ADD COLUMN parent_mailbox TEXT;
      ALTER TABLE drafts ADD COLUMN parent_uidvalidity INTEGER;
      ALTER TABLE drafts ADD COLUMN parent_uid INTEGER;
      -- Which model a refusal was made with ('version:N' or 'base:NAME'): retried only under another.
      ALTER TABLE drafts ADD COLUMN model_key TEXT;
      -- The implicit state (appended, no UID, reason "edited by you") becomes 'touched'.
      UPDATE drafts SET state = 'touched' WHERE state = 'appended' AND uid IS NULL;
      CREATE INDEX drafts_parent_content ON drafts (account_id, parent_content);
    `,
  },
  {
    version: 6,
    name: 'route evaluations (prompted vs tuned) and training curves',
    sql: `
      -- One evaluation of a candidate version: the prompted (cold-start) route, the candidate and
      -- the version promoted at the time, replying to the same held-out messages.
      CREATE TABLE evaluations (
        id            INTEGER PRIMARY KEY,
        version_id    INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
        run_id        INTEGER REFERENCES training_runs(id),
        created_at    INTEGER NOT NULL,
        current_id    INTEGER,             -- the version promoted when it was evaluated, if any
        promoted      INTEGER NOT NULL,    -- 1 when the candidate was promoted
        decision      TEXT NOT NULL,       -- why (or why not), naming the numbers
        summary       TEXT NOT NULL        -- JSON: per route, mean chrF, style, length ratio, loss
      );
      CREATE INDEX evaluations_version ON evaluations (version_id);

      -- Per held-out message and route: what was generated and how it scored.
      CREATE TABLE evaluation_scores (
        evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
        route         TEXT NOT NULL,       -- 'prompted' | 'candidate' | 'current'
        model_version INTEGER,             -- the version that wrote it; NULL for the prompted base model
        account_id    INTEGER,
        reply_key     TEXT NOT NULL,       -- the held-out example (examples.reply_key)
        generated     TEXT NOT NULL,
        chrf          REAL NOT NULL,       -- 0..100
        greeting      INTEGER NOT NULL,    -- 1 when greeting / sign-off / language are the user's
        sign_off      INTEGER NOT NULL,
        language      INTEGER NOT NULL,
        style         INTEGER NOT NULL,
        length_ratio  REAL,                -- generated / sent characters
        loss          REAL,                -- mean per-token loss of the real reply under this route (nats)
        loss_tokens   INTEGER,
        PRIMARY KEY (evaluation_id, route, reply_key)
      );

      -- Loss per step of each training run (train) and on the held-out split (eval).
      CREATE TABLE training_curves (
        run_id  INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL,             -- 'train' | 'eval' | 'base_eval'
        step    INTEGER NOT NULL,
        loss    REAL NOT NULL,
        PRIMARY KEY (run_id, kind, step)
      );
    `,
  },
  {
    version: 7,
    name: 'dataset: how each pair was found, reconstructed parents, warnings',
    sql: `
      -- JSON {by, evidence: [...], warnings: [...], reconstructed: bool, parent: {from, date, subject}}.
      -- A reconstructed parent (paired_by 'reconstructed') is the first message quoted in the reply,
      -- rebuilt from the quote because the answered mail is not stored; its parent_content is then
      -- the reply's own content, where its words live.
      ALTER TABLE examples ADD COLUMN pairing TEXT;
    `,
  },
  {
    version: 8,
    name: 'privacy: correspondents kept out of training (understudy privacy exclude)',
    sql: `
      -- An address (or glob such as *@example.com) or a domain whose mail never becomes a
      -- training example; the config's [dataset] exclude_senders/exclude_domains add to these.
      CREATE TABLE excluded_correspondents (
        pattern   TEXT PRIMARY KEY,        -- lower case; a domain without '@'
        kind      TEXT NOT NULL,           -- 'sender' | 'domain'
        added_at  INTEGER NOT NULL
      );
    `,
  },
];
