// Builds a realistic mailbox for benchmarks and writes it straight into Dovecot's Maildir
// (much faster than APPEND). Bodies are real prose from the Enron slice in ../shared/corpora;
// structure and sizes follow a typical mailbox: mostly small plain or multipart/alternative
// mail, some heavy HTML newsletters, and about one in ten messages with attachments.
import { chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface SeedOptions {
  count: number;
  seed: number;
  /** `sent` mail is from the user and carries In-Reply-To to `inbox` mail. */
  kind: 'inbox' | 'sent';
  user: string;
}

export interface SeedMessage {
  raw: Buffer;
  messageId: string;
  flags: string;
}

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let corpusBodies: string[] | undefined;

/** Bodies of the Enron messages (text after the header), for realistic prose. */
function bodies(): string[] {
  if (corpusBodies) return corpusBodies;
  const root = resolve(import.meta.dirname, '../../../shared/corpora/enron');
  const out: string[] = [];
  for (const user of readdirSync(root, { withFileTypes: true })) {
    if (!user.isDirectory()) continue;
    for (const folder of readdirSync(join(root, user.name))) {
      for (const file of readdirSync(join(root, user.name, folder))) {
        const text = readFileSync(join(root, user.name, folder, file), 'latin1');
        const split = text.indexOf('\n\n');
        const body = split >= 0 ? text.slice(split + 2).trim() : '';
        if (body.length > 20) out.push(body.replace(/\r?\n/g, '\r\n'));
      }
    }
  }
  if (out.length === 0) throw new Error('no Enron bodies found under shared/corpora/enron');
  corpusBodies = out;
  return out;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function rfc2822(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

function base64Lines(buf: Buffer): string {
  return buf.toString('base64').replace(/.{76}/g, '$&\r\n');
}

function htmlOf(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<html><head><meta charset="utf-8"><style>body{font-family:Arial,sans-serif;font-size:14px}</style></head><body><div dir="ltr">${escaped
    .split(/\r\n\r\n/)
    .map((p) => `<p>${p.replace(/\r\n/g, '<br>\r\n')}</p>`)
    .join('\r\n')}</div></body></html>`;
}

export function* generateMessages(opts: SeedOptions): Generator<SeedMessage> {
  const random = prng(opts.seed);
  const pool = bodies();
  const start = Date.UTC(2023, 0, 1);
  const correspondents = Array.from({ length: 150 }, (_, i) => `person${i}@example${i % 17}.org`);
  for (let i = 0; i < opts.count; i++) {
    const who = correspondents[Math.floor(random() * correspondents.length)] ?? 'x@example.org';
    const me = `${opts.user}@example.test`;
    const [from, to] = opts.kind === 'sent' ? [me, who] : [who, me];
    const id = `<${opts.kind}-${opts.seed}-${i}@bench.example>`;
    let text = pool[Math.floor(random() * pool.length)] ?? 'Hello';
    // Realistic spread of text lengths: most short, a tail of long ones.
    if (random() < 0.15)
      text = `${text}\r\n\r\n${pool[Math.floor(random() * pool.length)]}\r\n\r\n${pool[Math.floor(random() * pool.length)]}`;
    const headers = [
      `Return-Path: <${from}>`,
      `Received: from mx.example.org (mx.example.org [192.0.2.${i % 250}]) by imap.example.test with ESMTPS id ${i.toString(36)}; ${rfc2822(start + i * 3_600_000)}`,
      `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=mail; h=from:to:subject:date:message-id; bh=${Buffer.from(String(i)).toString('base64')}; b=${'A'.repeat(340)}`,
      `From: ${from}`,
      `To: ${to}`,
      `Subject: ${opts.kind === 'sent' ? 'Re: ' : ''}Topic ${i % 700}`,
      `Date: ${rfc2822(start + i * 3_600_000)}`,
      `Message-ID: ${id}`,
      'MIME-Version: 1.0',
    ];
    if (opts.kind === 'sent')
      headers.push(
        `In-Reply-To: <inbox-${opts.seed - 1}-${i}@bench.example>`,
        `References: <inbox-${opts.seed - 1}-${i}@bench.example>`,
      );
    const roll = random();
    let body: string;
    if (roll < 0.4) {
      headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
      body = text;
    } else {
      const alt = `alt-${i}`;
      let html = htmlOf(text);
      // Newsletters and HTML-heavy mail from corporate clients (inbox only): 20–80 KB of markup.
      if (opts.kind === 'inbox' && roll > 0.8)
        html = html.replace(
          '</body>',
          `${'<table><tr><td style="padding:8px;color:#333">&nbsp;</td></tr></table>\r\n'.repeat(Math.floor(300 + random() * 900))}</body>`,
        );
      const alternative = `Content-Type: multipart/alternative; boundary="${alt}"\r\n\r\n--${alt}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}\r\n--${alt}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${html}\r\n--${alt}--`;
      if (random() < 0.1) {
        // An attachment: 30 KB to 2 MB, log-uniform (documents, photos, slide decks).
        const size = Math.floor(30_000 * (2_000_000 / 30_000) ** random());
        const mixed = `mixed-${i}`;
        const bytes = Buffer.alloc(size);
        for (let j = 0; j < size; j += 4) bytes.writeUInt32LE((random() * 0xffffffff) >>> 0, Math.min(j, size - 4));
        headers.push(`Content-Type: multipart/mixed; boundary="${mixed}"`);
        body = `--${mixed}\r\n${alternative}\r\n--${mixed}\r\nContent-Type: application/pdf; name="document-${i}.pdf"\r\nContent-Disposition: attachment; filename="document-${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(bytes)}\r\n--${mixed}--`;
      } else {
        headers.push(`Content-Type: multipart/alternative; boundary="${alt}"`);
        body = alternative.slice(alternative.indexOf('\r\n\r\n') + 4);
      }
    }
    const flags = opts.kind === 'sent' ? 'S' : random() < 0.85 ? (random() < 0.3 ? 'RS' : 'S') : '';
    yield {
      raw: Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8'),
      messageId: id,
      flags,
    };
  }
}

/**
 * Writes messages as Maildir files that Dovecot picks up on the next SELECT. Maildir++ keeps
 * mailbox "Sent" in ".Sent"; flags go in the ":2," suffix (S seen, R replied).
 */
export function writeMaildir(
  mailRoot: string,
  user: string,
  mailbox: string,
  messages: Iterable<SeedMessage>,
  owner: { uid: number; gid: number },
): { count: number; bytes: number } {
  const maildir = join(mailRoot, user, 'Maildir');
  const dir = mailbox === 'INBOX' ? maildir : join(maildir, `.${mailbox.replace(/\//g, '.')}`);
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  let count = 0;
  let bytes = 0;
  const base = 1_700_000_000;
  for (const m of messages) {
    const name = `${base + count}.M${count}P1.bench,S=${m.raw.length}:2,${m.flags}`;
    writeFileSync(join(dir, 'cur', name), m.raw);
    count++;
    bytes += m.raw.length;
  }
  chownTree(join(mailRoot, user), owner);
  return { count, bytes };
}

function chownTree(path: string, owner: { uid: number; gid: number }): void {
  chownSync(path, owner.uid, owner.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) chownTree(full, owner);
    else chownSync(full, owner.uid, owner.gid);
  }
}
