// One decoding path: every field case (and a few structural edge cases) is put on the real Dovecot, synced, and the
// bodies sync stored must equal what decodeMessage (used by `understudy mail reply-text` and the unit tests) makes of
// the same bytes, both for the inbox and for the Sent mailbox (where sync also fetches the HTML).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { syncAccount } from '../../src/imap/sync-account.js';
import { STORED_HEADER_FIELDS } from '../../src/imap/sync-mailbox.js';
import { decodeMessage } from '../../src/mail/message-decode.js';
import { type Db, openStore } from '../../src/store/db.js';
import { newAccount, type TestAccount } from '../helpers/account.js';

const server = inject('dovecot');
const FIELD = resolve(import.meta.dirname, '../../../shared/corpora/field/reply-text');
const HOSTILE = resolve(import.meta.dirname, '../../../shared/corpora/field/hostile');

/** Messages whose structure is where two parsers would disagree first. */
const EDGE: Record<string, string> = {
  'iso2022jp-without-charset': [
    'From: a@example.org',
    'Subject: jis',
    'Message-ID: <edge-jis@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain',
    '',
    '\x1b$B$3$s$K$A$O\x1b(B',
    '',
  ].join('\r\n'),
  'flowed-in-alternative-with-attachment': [
    'From: a@example.org',
    'Subject: nested',
    'Message-ID: <edge-nested@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    'preamble',
    '--outer',
    'Content-Type: multipart/alternative; boundary="outer-alt"',
    '',
    '--outer-alt',
    'Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Een lange zin die  ',
    'doorloopt.',
    '',
    '> geciteerd ',
    '> en verder',
    '--outer-alt',
    'Content-Type: text/html; charset="iso-8859-1"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '<p>Caf=E9 =93nice=94</p>',
    '--outer-alt--',
    '--outer',
    'Content-Type: application/pdf; name="a.pdf"',
    'Content-Disposition: attachment; filename="a.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    'JVBERi0=',
    '--outer--',
    'epilogue',
    '',
  ].join('\r\n'),
  'unclosed-multipart-lf-only': [
    'From: a@example.org',
    'Subject: unclosed',
    'Message-ID: <edge-unclosed@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary=b1',
    '',
    '--b1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Gr\xfc\xdfe, caf\xe9',
    '--b1',
    'Content-Type: text/html',
    '',
    '<b>html</b>',
    '',
  ].join('\n'),
};

interface Stored {
  body_text: string | null;
  body_html: string | null;
  mime_type: string | null;
  text_truncated: number;
  attachments: string;
}

function storedBodies(db: Db, mailbox: string): Map<string, Stored> {
  const rows = db
    .prepare(
      `SELECT m.message_id, c.body_text, c.body_html, c.mime_type, c.text_truncated, c.attachments
         FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id JOIN contents c ON c.id = m.content_id
        WHERE b.path = ?`,
    )
    .all(mailbox) as (Stored & { message_id: string })[];
  return new Map(rows.map((r) => [r.message_id, r]));
}

describe('sync and decodeMessage store the same bodies', () => {
  let account: TestAccount;
  let db: Db;
  const inputs = new Map<string, Buffer>();

  beforeAll(async () => {
    for (const f of readdirSync(FIELD).filter((f) => f.endsWith('.eml'))) inputs.set(f, readFileSync(`${FIELD}/${f}`));
    for (const f of readdirSync(HOSTILE).filter((f) => f.endsWith('.eml')))
      inputs.set(f, readFileSync(`${HOSTILE}/${f}`));
    for (const [name, text] of Object.entries(EDGE)) inputs.set(name, Buffer.from(text, 'latin1'));
    account = newAccount(server);
    const client = await account.client();
    try {
      for (const [name, raw] of inputs) {
        await client.append('INBOX', raw, ['\\Seen']);
        // Another Message-ID for the Sent copy, or sync would share one stored content between the two.
        await client.append('Sent', sentCopy(raw, name), ['\\Seen']);
      }
    } finally {
      await client.logout();
    }
    db = openStore(account.config.dbPath);
    await syncAccount({ db, account: account.config.accounts[0]!, settings: account.config.sync });
  });
  afterAll(() => db?.close());

  for (const [box, sent] of [
    ['INBOX', false],
    ['Sent', true],
  ] as const) {
    it(`${box}: every message's stored text and HTML equal decodeMessage's`, () => {
      const stored = storedBodies(db, box);
      expect(stored.size).toBe(inputs.size);
      let compared = 0;
      for (const [name, original] of inputs) {
        const raw = sent ? sentCopy(original, name) : original;
        const mine = decodeMessage(raw, {
          sent,
          maxPartBytes: account.config.sync.maxPartBytes,
          headerFields: STORED_HEADER_FIELDS,
        });
        const id = /^Message-ID:\s*(<[^>]+>)/im.exec(raw.toString('latin1'))?.[1] ?? '';
        const row = stored.get(id);
        expect(row, `${name} stored`).toBeDefined();
        expect({ name, text: row?.body_text, html: row?.body_html, type: row?.mime_type }).toEqual({
          name,
          text: mine.bodyText,
          html: mine.bodyHtml,
          type: mine.mimeType,
        });
        // decodeMessage stops splitting after 2000 parts (hostile input); up to there the lists agree.
        if (mine.cutOff === null) expect(JSON.parse(row?.attachments ?? '[]'), name).toEqual(mine.attachments);
        compared++;
      }
      console.log(`${box}: ${compared} messages, sync's stored bodies equal decodeMessage's`);
    });
  }
});

function sentCopy(raw: Buffer, name: string): Buffer {
  const text = raw.toString('latin1');
  const replaced = text.replace(/^(Message-ID:\s*<)/im, '$1sent-');
  return Buffer.from(replaced === text ? `Message-ID: <sent-${name}@example.test>\r\n${text}` : replaced, 'latin1');
}
