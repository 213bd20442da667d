// Builds test messages (RFC 5322) and puts them on the test server over IMAP.
import { ImapFlow } from 'imapflow';
import type { DovecotInfo } from './dovecot.js';

export interface TestMessage {
  from?: string;
  to?: string;
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  date?: Date;
  body?: string;
  html?: string;
  /** An HTML body with no text/plain alternative. */
  htmlOnly?: boolean;
  /** Adds a binary attachment of this many bytes. */
  attachmentBytes?: number;
  headers?: Record<string, string>;
}

let counter = 0;

export function buildMessage(m: TestMessage = {}): string {
  const id = m.messageId ?? `<test-${process.pid}-${++counter}-${Math.random().toString(36).slice(2)}@example.test>`;
  const headers = [
    `From: ${m.from ?? 'Ann Example <ann@example.test>'}`,
    `To: ${m.to ?? 'Bob Example <bob@example.test>'}`,
    `Subject: ${m.subject ?? `Test message ${counter}`}`,
    `Message-ID: ${id}`,
    `Date: ${(m.date ?? new Date(Date.UTC(2024, 0, 1, 12, 0, counter % 60))).toUTCString().replace('GMT', '+0000')}`,
    'MIME-Version: 1.0',
  ];
  if (m.inReplyTo) headers.push(`In-Reply-To: ${m.inReplyTo}`);
  if (m.references) headers.push(`References: ${m.references}`);
  for (const [k, v] of Object.entries(m.headers ?? {})) headers.push(`${k}: ${v}`);
  const text = m.body ?? `Hello,\r\n\r\nThis is message ${counter}.\r\n\r\nAnn\r\n`;
  if (m.htmlOnly && m.html) {
    headers.push('Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64');
    return `${headers.join('\r\n')}\r\n\r\n${Buffer.from(m.html).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`;
  }
  if (!m.html && !m.attachmentBytes) {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
    return `${headers.join('\r\n')}\r\n\r\n${text}`;
  }
  const boundary = `b${counter}x${Math.random().toString(36).slice(2)}`;
  const alt = `a${boundary}`;
  const parts: string[] = [];
  const body = m.html
    ? `Content-Type: multipart/alternative; boundary="${alt}"\r\n\r\n--${alt}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${toQuotedPrintable(text)}\r\n--${alt}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(m.html).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n--${alt}--\r\n`
    : `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}\r\n`;
  parts.push(body);
  if (m.attachmentBytes) {
    const data = Buffer.alloc(m.attachmentBytes, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
    parts.push(
      `Content-Type: application/pdf; name="report.pdf"\r\nContent-Disposition: attachment; filename="report.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${data}\r\n`,
    );
  }
  if (parts.length === 1 && m.html) {
    headers.push(`Content-Type: multipart/alternative; boundary="${alt}"`);
    return `${headers.join('\r\n')}\r\n\r\n${body.slice(body.indexOf('\r\n\r\n') + 4)}`;
  }
  headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  return `${headers.join('\r\n')}\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}`).join('')}--${boundary}--\r\n`;
}

function toQuotedPrintable(s: string): string {
  return Buffer.from(s, 'utf8')
    .toString('latin1')
    .replace(/[=\u0080-\u00ff]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** An IMAP connection as the test user (a second client, like the user's mail program). */
export async function openClient(server: DovecotInfo, user: string, password: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
  });
  // An idle test client whose socket times out (a long test step) must not crash the test run
  // with "Unhandled 'error' event"; its next command fails and says why.
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Appends messages to a mailbox and returns their UIDs. */
export async function appendMessages(
  client: ImapFlow,
  mailbox: string,
  messages: string[],
  flags: string[] = ['\\Seen'],
): Promise<number[]> {
  const uids: number[] = [];
  for (const raw of messages) {
    const r = await client.append(mailbox, raw, flags);
    if (r && typeof r === 'object' && r.uid) uids.push(r.uid);
  }
  return uids;
}

/** The server's view of a mailbox: UID → Message-ID and flags. */
export async function serverMessages(
  client: ImapFlow,
  mailbox: string,
): Promise<Map<number, { messageId: string | undefined; flags: string[] }>> {
  const out = new Map<number, { messageId: string | undefined; flags: string[] }>();
  const lock = await client.getMailboxLock(mailbox, { readOnly: true });
  try {
    if (client.mailbox && client.mailbox.exists > 0) {
      for await (const m of client.fetch('1:*', { uid: true, flags: true, envelope: true })) {
        out.set(m.uid, {
          messageId: m.envelope?.messageId,
          flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(),
        });
      }
    }
  } finally {
    lock.release();
  }
  return out;
}
