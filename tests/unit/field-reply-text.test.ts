// Every case of ../shared/corpora/field/reply-text (real mail that broke reply extraction elsewhere) through the path
// the dataset takes: the bytes decoded as sync stores them (decodeMessage), then the dataset's cleanContent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanContent } from '../../src/dataset/clean.js';
import { decodeMessage } from '../../src/mail/message-decode.js';
import { quotedOriginal } from '../../src/mail/reply-text.js';

const DIR = resolve(import.meta.dirname, '../../../shared/corpora/field/reply-text');
const present = existsSync(DIR);
const cases = present
  ? readdirSync(DIR)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => f.slice(0, -'.eml'.length))
      .sort()
  : [];

/** The corpus rule: compared whitespace-insensitively. */
const squeeze = (s: string) => s.replace(/\s+/g, '');

/** What `dataset build` makes of the message, decoded as a message of the Sent mailbox or of the inbox. */
function ownText(raw: Buffer, sent: boolean): string {
  const stored = decodeMessage(raw, { sent });
  const cleaned = cleanContent({
    headers: stored.headers,
    mime_type: stored.mimeType,
    body_text: stored.bodyText,
    body_html: stored.bodyHtml,
    attachments: JSON.stringify(stored.attachments),
  });
  expect(cleaned.error).toBeNull();
  return cleaned.ownText ?? '';
}

describe.skipIf(!present)('field cases: reply text on the sync + dataset path', () => {
  it('finds the cases', () => {
    console.log(`field/reply-text: ${cases.length} cases`);
    expect(cases.length).toBeGreaterThanOrEqual(38);
  });

  for (const name of cases) {
    it(name, () => {
      const raw = readFileSync(`${DIR}/${name}.eml`);
      const expected = readFileSync(`${DIR}/${name}.expected.txt`, 'utf8');
      for (const sent of [true, false]) {
        const got = ownText(raw, sent);
        if (squeeze(got) !== squeeze(expected)) {
          // The whole text on failure, so the diff is readable.
          expect(got, `${name} (decoded as ${sent ? 'sent' : 'received'} mail)`).toBe(expected.trim());
        }
      }
    });
  }

  it('reads who and when from Lotus Notes header blocks in their shapes (for rebuilding a parent from the quote)', () => {
    const at = (name: string) => {
      const stored = decodeMessage(readFileSync(`${DIR}/${name}.eml`));
      return quotedOriginal({ text: stored.bodyText, html: stored.bodyHtml })?.attribution;
    };
    // name line above the date line; European date
    expect(at('enron-parent-european-date-notes-header-enron-a-32p')).toMatchObject({
      name: 'Vince J Kaminski',
      dateMs: Date.UTC(2000, 4, 15, 17, 14),
    });
    // "From:" with the date on the next line
    expect(at('enron-notes-from-date-on-next-line-enron-a-38')).toMatchObject({
      name: 'Ted Murphy',
      date: '10/29/2000 10:23 AM',
    });
    // indented letterhead, date on the From: line
    expect(at('enron-notes-letterhead-enron-a-04')).toMatchObject({ name: 'Kirstee Hewitt' });
    // "Name" <address> on date
    expect(at('enron-signature-block-enron-a-08')).toMatchObject({
      name: 'Valery Kholodnyi',
      address: 'vkholod1@txu.com',
    });
  });
});
