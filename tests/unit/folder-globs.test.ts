// folders.include/exclude match mailboxes as the user sees them (namespace prefix or not, any
// separator, names with brackets), and a glob that matches nothing is reported.
import { describe, expect, it } from 'vitest';
import { excludedSentByName, listMailboxes, type MailboxInfo, selectMailboxes } from '../../src/imap/discover.js';

const box = (
  path: string,
  specialUse: string | null = null,
  delimiter = '/',
  extra: Partial<MailboxInfo> = {},
): MailboxInfo => ({ path, specialUse, delimiter, selectable: true, ...extra });

const paths = (boxes: MailboxInfo[]) => boxes.map((b) => b.path);

describe('folder globs as the user sees the folders', () => {
  // Courier/cPanel: NAMESPACE (("INBOX." ".")), every folder under INBOX.
  const courier = (namespace?: string) =>
    [
      box('INBOX', '\\Inbox', '.'),
      box('INBOX.Sent', '\\Sent', '.'),
      box('INBOX.Drafts', '\\Drafts', '.'),
      box('INBOX.Archive', '\\Archive', '.'),
      box('INBOX.Archive.Private', null, '.'),
      box('INBOX.Clients.Acme', null, '.'),
    ].map((b) => ({ ...b, ...(namespace ? { namespace } : {}) }));

  for (const [label, all] of [
    ['with the NAMESPACE answer', courier('INBOX.')],
    ['without NAMESPACE (every folder under INBOX.)', courier()],
  ] as const) {
    it(`inbox-prefix-dot-exclude, ${label}: "Archive", "Archive/**" exclude INBOX.Archive and below`, () => {
      const s = selectMailboxes(all, { include: ['Clients/*'], exclude: ['Archive', 'Archive/**'] });
      expect(paths(s.selected)).toEqual(['INBOX', 'INBOX.Sent', 'INBOX.Clients.Acme']);
      expect(s.unmatched).toEqual([]);
      for (const exclude of [['INBOX/Archive'], ['INBOX.Archive'], ['inbox/Archive'], ['Archive']])
        expect(paths(selectMailboxes(all, { include: [], exclude }).selected), exclude.join()).not.toContain(
          'INBOX.Archive',
        );
      // The server's separator in a glob works as well as "/".
      expect(paths(selectMailboxes(all, { include: ['Clients.*'], exclude: [] }).selected)).toContain(
        'INBOX.Clients.Acme',
      );
    });
  }

  it('a glob that matches no mailbox is reported with what exists; one that matches is not', () => {
    const s = selectMailboxes(courier('INBOX.'), { include: ['Projects/**'], exclude: ['Archiv', 'Archive/Private'] });
    expect(s.unmatched.map((u) => [u.key, u.glob])).toEqual([
      ['folders.include', 'Projects/**'],
      ['folders.exclude', 'Archiv'],
    ]);
    const [first] = s.unmatched;
    expect(first?.mailboxes).toEqual(['INBOX', 'Sent', 'Drafts', 'Archive', 'Archive/Private', 'Clients/Acme']);
    expect(first?.message).toBe(
      'folders.include "Projects/**" matches no mailbox; the server has: INBOX, Sent, Drafts, Archive, Archive/Private, Clients/Acme',
    );
  });

  it('glob-special-folder-names: brackets and parentheses are literal, \\Noselect parents skipped', () => {
    const all = [
      box('INBOX', '\\Inbox'),
      { ...box('[Gmail]'), selectable: false },
      box('[Gmail]/All Mail', '\\All'),
      box('[Gmail]/Important'),
      box('a/foo'),
      box('Projects (old)/Q1'),
      box(`Deep/A/B/C/${'Langer Ordnername '.repeat(11)}`),
    ];
    const s = selectMailboxes(all, {
      include: ['[Gmail]/Important', 'Deep/**', 'Projects (old)/*'],
      exclude: ['[Gmail]/All Mail'],
    });
    expect(paths(s.selected)).toEqual(['INBOX', '[Gmail]/Important', 'Projects (old)/Q1', all[6]?.path]);
    expect(s.skipped).toContainEqual({ path: '[Gmail]', reason: 'not selectable (\\Noselect)' });
    expect(s.skipped).toContainEqual({ path: '[Gmail]/All Mail', reason: 'excluded by folders.exclude' });
    // "[Gmail]/**" is not the character class [Gmailr]: "a/foo" stays out.
    expect(paths(selectMailboxes(all, { include: ['[Gmail]/**'], exclude: [] }).selected)).toEqual([
      'INBOX',
      '[Gmail]/All Mail',
      '[Gmail]/Important',
    ]);
  });

  it('other separators and a Dovecot-style INBOX/ child are not confused with a namespace prefix', () => {
    const dovecot = [box('INBOX', '\\Inbox'), box('INBOX/Lists'), box('Archive', '\\Archive'), box('Lists')];
    expect(paths(selectMailboxes(dovecot, { include: ['Lists'], exclude: [] }).selected)).toEqual([
      'INBOX',
      'Archive',
      'Lists',
    ]);
    const backslash = [box('INBOX', '\\Inbox', '\\'), box('Work\\Acme', null, '\\'), box('Work\\Beta', null, '\\')];
    expect(paths(selectMailboxes(backslash, { include: ['Work/*'], exclude: ['Work\\Beta'] }).selected)).toEqual([
      'INBOX',
      'Work\\Acme',
    ]);
  });
});

describe('roles named in the config, as the user sees the folder', () => {
  // A server without SPECIAL-USE whose folders live under "INBOX." (imapflow's list() shape).
  const client = (prefix: string, delimiter: string, paths: string[]) =>
    ({
      namespace: { prefix, delimiter },
      list: async () => paths.map((path) => ({ path, delimiter, flags: new Set<string>(), specialUse: undefined })),
    }) as unknown as Parameters<typeof listMailboxes>[0];

  it('folders.sent = "Sent" and drafts = "Entwürfe" name INBOX.Sent and INBOX.Entwürfe; an exact path wins', async () => {
    const boxes = await listMailboxes(
      client('INBOX.', '.', ['INBOX', 'INBOX.Sent', 'INBOX.Entwürfe', 'INBOX.Old.Sent']),
      {
        include: [],
        exclude: [],
        sent: 'Sent',
        drafts: 'Entwürfe',
      },
    );
    expect(boxes.map((b) => [b.path, b.specialUse])).toEqual([
      ['INBOX', '\\Inbox'],
      ['INBOX.Sent', '\\Sent'],
      ['INBOX.Entwürfe', '\\Drafts'],
      ['INBOX.Old.Sent', null],
    ]);
    const exact = await listMailboxes(client('', '/', ['INBOX', 'Sent', 'INBOX/Sent']), {
      include: [],
      exclude: [],
      sent: 'INBOX/Sent',
    });
    expect(exact.find((b) => b.specialUse === '\\Sent')?.path).toBe('INBOX/Sent');
  });
});

describe('globs written the way people write them', () => {
  it('a trailing or leading "/", and Unicode in either normal form (macOS creates NFD names)', () => {
    const nfd = 'Archiv/Mu\u0308ller & So\u0308hne';
    const all = [box('INBOX', '\\Inbox'), box('Archive'), box(nfd)];
    const s = selectMailboxes(all, { include: ['/Archive/', 'Archiv/Müller & Söhne'], exclude: [] });
    expect(paths(s.selected)).toEqual(['INBOX', 'Archive', nfd]);
    expect(s.unmatched).toEqual([]);
  });
});

describe('folders.exclude naming the sent-mail folder', () => {
  it('is reported with the globs that match it, by role, whatever its name', () => {
    const all = [box('INBOX', '\\Inbox'), box('Verzonden items', '\\Sent'), box('Trash', '\\Trash')];
    const s = selectMailboxes(all, { include: [], exclude: ['Verz*', 'Trash', 'Verzonden items'] });
    expect(s.excludedSent).toHaveLength(1);
    expect(s.excludedSent[0]).toMatchObject({ path: 'Verzonden items', globs: ['Verz*', 'Verzonden items'] });
    expect(s.excludedSent[0]?.message).toContain('excludes Verzonden items, your sent-mail folder');
    expect(s.excludedSent[0]?.fix).toContain('[accounts.folders] exclude');
  });

  it('is not reported for other folders, nor for a folder merely named Sent that has another role', () => {
    const all = [box('INBOX', '\\Inbox'), box('Sent', '\\Archive'), box('Sent Mail', '\\Sent')];
    expect(selectMailboxes(all, { include: [], exclude: ['Sent'] }).excludedSent).toEqual([]);
  });

  it('offline (dataset build): a glob matching folders.sent, or a common sent-folder name', () => {
    expect(excludedSentByName({ include: [], exclude: ['Gesendet'], sent: 'Gesendet' })[0]?.path).toBe('Gesendet');
    expect(excludedSentByName({ include: [], exclude: ['Sent'], sent: 'Gesendet' })).toEqual([]);
    expect(excludedSentByName({ include: [], exclude: ['[Gmail]/Sent Mail'] })[0]?.path).toBe('[Gmail]/Sent Mail');
    expect(excludedSentByName({ include: [], exclude: ['Sent*'] })).toHaveLength(1);
    expect(excludedSentByName({ include: [], exclude: ['Trash'] })).toEqual([]);
  });
});
