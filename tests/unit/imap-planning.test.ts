// Pure parts of the IMAP layer: mailbox selection, BODYSTRUCTURE planning, UID sets, failures.
import { describe, expect, it } from 'vitest';
import { planParts } from '../../src/imap/body-structure.js';
import { type MailboxInfo, selectMailboxes } from '../../src/imap/discover.js';
import { classifyImapError } from '../../src/imap/errors.js';
import { chunk, toUidSet } from '../../src/imap/uid-set.js';

const box = (path: string, specialUse: string | null = null, delimiter = '/', selectable = true): MailboxInfo => ({
  path,
  specialUse,
  delimiter,
  selectable,
});

describe('mailbox selection', () => {
  it('Gmail: INBOX, Sent Mail and All Mail by role, whatever their localised names', () => {
    const all = [
      box('INBOX', '\\Inbox'),
      box('[Gmail]', null, '/', false),
      box('[Gmail]/Alle Nachrichten', '\\All'),
      box('[Gmail]/Gesendet', '\\Sent'),
      box('[Gmail]/Entwürfe', '\\Drafts'),
      box('[Gmail]/Spam', '\\Junk'),
      box('Receipts'),
    ];
    const { selected, skipped } = selectMailboxes(all, { include: [], exclude: [] });
    expect(selected.map((b) => b.path)).toEqual(['INBOX', '[Gmail]/Alle Nachrichten', '[Gmail]/Gesendet']);
    expect(skipped).toContainEqual({ path: '[Gmail]', reason: 'not selectable (\\Noselect)' });
    expect(skipped).toContainEqual({
      path: 'Receipts',
      reason: 'not selected (add it to folders.include)',
    });
    expect(skipped).toContainEqual({
      path: '[Gmail]/Spam',
      reason: 'role \\Junk is not synced by default',
    });
  });

  it('globs match "/"-joined paths even when the server uses "." as delimiter', () => {
    const all = [
      box('INBOX', '\\Inbox', '.'),
      box('Archive', '\\Archive', '.'),
      box('Archive.Private', null, '.'),
      box('Archive.Private.Old', null, '.'),
      box('Clients.Acme', null, '.'),
    ];
    const { selected } = selectMailboxes(all, {
      include: ['Clients/*', 'Archive/**'],
      exclude: ['Archive/Private/**'],
    });
    expect(selected.map((b) => b.path)).toEqual(['INBOX', 'Archive', 'Clients.Acme']);
  });

  it('exclude wins over a default role', () => {
    const { selected } = selectMailboxes([box('INBOX', '\\Inbox'), box('Sent', '\\Sent')], {
      include: [],
      exclude: ['Sent'],
    });
    expect(selected.map((b) => b.path)).toEqual(['INBOX']);
  });
});

describe('BODYSTRUCTURE planning', () => {
  it('single part: part 1 is the text', () => {
    expect(
      planParts({
        type: 'text/plain',
        parameters: { charset: 'utf-8' },
        encoding: '7bit',
        size: 10,
      }),
    ).toEqual({
      mimeType: 'text/plain',
      plain: [{ part: '1', charset: 'utf-8', encoding: '7bit', size: 10 }],
      html: [],
      attachments: [],
    });
  });

  it('mixed/alternative: fetches text and html, records attachments and attached messages', () => {
    const plan = planParts({
      type: 'multipart/mixed',
      childNodes: [
        {
          part: '1',
          type: 'multipart/alternative',
          childNodes: [
            { part: '1.1', type: 'text/plain', size: 100 },
            { part: '1.2', type: 'text/html', size: 300 },
          ],
        },
        {
          part: '2',
          type: 'application/pdf',
          disposition: 'attachment',
          dispositionParameters: { filename: 'a.pdf' },
          size: 5000,
        },
        {
          part: '3',
          type: 'text/plain',
          disposition: 'attachment',
          dispositionParameters: { filename: 'notes.txt' },
          size: 50,
        },
        { part: '4', type: 'message/rfc822', size: 900 },
        { part: '5', type: 'text/calendar', parameters: { method: 'REQUEST' }, size: 700 },
      ],
    });
    expect(plan.plain.map((p) => p.part)).toEqual(['1.1']);
    expect(plan.html.map((p) => p.part)).toEqual(['1.2']);
    expect(plan.attachments.map((a) => [a.part, a.type, a.filename ?? null])).toEqual([
      ['2', 'application/pdf', 'a.pdf'],
      ['3', 'text/plain', 'notes.txt'],
      ['4', 'message/rfc822', null],
      ['5', 'text/calendar', null],
    ]);
  });

  it('caps the number of inline text parts of hostile messages', () => {
    const childNodes = Array.from({ length: 40 }, (_, i) => ({
      part: String(i + 1),
      type: 'text/plain',
      size: 1,
    }));
    const plan = planParts({ type: 'multipart/mixed', childNodes });
    expect(plan.plain).toHaveLength(8);
    expect(plan.attachments).toHaveLength(32);
  });
});

describe('UID sets', () => {
  it('compresses runs', () => {
    expect(toUidSet([7, 1, 2, 3, 9, 10, 3])).toBe('1:3,7,9:10');
    expect(toUidSet([5])).toBe('5');
    expect(toUidSet([])).toBe('');
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});

describe('failure classification', () => {
  const where = { host: 'imap.example.com', port: 993, user: 'ann' };
  it('sorts failures into temporary, auth and final', () => {
    expect(
      classifyImapError({ authenticationFailed: true, responseText: 'Authentication failed.' }, where),
    ).toMatchObject({ code: 'AUTH_FAILED', kind: 'auth' });
    expect(classifyImapError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, where)).toMatchObject({
      code: 'TLS_UNTRUSTED',
      kind: 'final',
    });
    expect(classifyImapError({ code: 'ECONNREFUSED' }, where)).toMatchObject({
      code: 'CONNECT_FAILED',
      kind: 'temporary',
    });
    expect(classifyImapError({ code: 'ENOTFOUND' }, where)).toMatchObject({
      code: 'HOST_NOT_FOUND',
      kind: 'temporary',
    });
    expect(classifyImapError({ code: 'NoConnection' }, where)).toMatchObject({
      code: 'CONNECTION_LOST',
      kind: 'temporary',
    });
    expect(classifyImapError({ code: 'ETIMEOUT' }, where)).toMatchObject({
      code: 'TIMEOUT',
      kind: 'temporary',
    });
    // No greeting at all: most often a TLS port spoken to in plain text; the fix says tls and port.
    const silent = classifyImapError({ code: 'GREETING_TIMEOUT' }, { ...where, port: 41051 });
    expect(silent).toMatchObject({ code: 'TIMEOUT', kind: 'temporary' });
    expect(silent.message).toContain('sent no IMAP greeting');
    expect(silent.fix).toMatch(/check tls and port.*port 41051 set tls = "implicit"/);
    expect(
      classifyImapError(
        {
          responseStatus: 'NO',
          serverResponseCode: 'NONEXISTENT',
          responseText: 'Mailbox does not exist',
        },
        { ...where, mailbox: 'Gone' },
      ),
    ).toMatchObject({ code: 'MAILBOX_UNAVAILABLE', kind: 'final' });
    expect(
      classifyImapError({ responseStatus: 'NO', serverResponseCode: 'UNAVAILABLE', responseText: 'try later' }, where),
    ).toMatchObject({ code: 'SERVER_REFUSED', kind: 'temporary' });
    expect(classifyImapError({ responseStatus: 'NO', responseText: 'Permission denied' }, where)).toMatchObject({
      code: 'SERVER_REFUSED',
      kind: 'final',
    });
  });
});
