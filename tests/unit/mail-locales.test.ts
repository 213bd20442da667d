// The language data of src/mail/locales: every file is registered, every phrase reaches the pattern built from it, and
// a new language added through the same builder is recognised (adding a language is one file and one index line).
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type HeaderField, LOCALES, type MailLocale, mergeLocales } from '../../src/mail/locales/index.js';
import {
  attributionPatterns,
  hasContactMarker,
  headerLine,
  isAddressLine,
  isAttribution,
  isForwardLine,
  isOriginalMessageLine,
  mayBeAttributionLine,
  signOff,
} from '../../src/mail/quote-patterns.js';
import { stripReplyPrefixes } from '../../src/mail/subject.js';

const LOCALE_DIR = resolve(import.meta.dirname, '../../src/mail/locales');
const NOT_LOCALES = new Set(['index.ts', 'merge.ts', 'types.ts']);

/** A language no mail client writes: its words exist nowhere else, so only this locale can make them match. */
const ZORBIAN: MailLocale = {
  code: 'x-zorbian',
  name: 'Zorbian',
  attribution: { verbs: ['blorfte'], startWords: ['kwa'] },
  monthAbbreviations: ['zyx'],
};
/** "On 3 Zyx 2023 Ann wrote:" in Zorbian: no address, so only the verb and the start word make it an attribution. */
const ZORBIAN_LINE = 'Kwa 3 zyx 2023 klo 10.12 Ann Example blorfte:';

describe('the locale index', () => {
  it('lists every locale file once, each under its own code', () => {
    const files = readdirSync(LOCALE_DIR).filter((f) => f.endsWith('.ts') && !NOT_LOCALES.has(f));
    expect(LOCALES.map((l) => `${l.code}.ts`).sort()).toEqual(files.sort());
    expect(new Set(LOCALES.map((l) => l.code)).size).toBe(LOCALES.length);
  });

  it('holds regex sources that compile, and phrases in lower case where matching ignores case', () => {
    for (const l of LOCALES) {
      const patterns = [
        ...(l.attribution?.parsedVerbPatterns ?? []),
        ...(l.attribution?.nameConnectivePatterns ?? []),
        ...(l.disclaimerPatterns ?? []),
        ...(l.subject?.forwardPatterns ?? []),
        ...(l.subject?.autoReplyPatterns ?? []),
        ...(l.outOfOffice?.greetingPatterns ?? []),
        ...(l.outOfOffice?.thanksPatterns ?? []),
        ...(l.outOfOffice?.openingPatterns ?? []),
      ];
      for (const p of patterns) expect(() => new RegExp(p, 'iu'), `${l.code}: ${p}`).not.toThrow();
      // The out-of-office and forward-note rules match lower-cased text: an upper-case letter there never matches.
      const lowered = [
        ...(l.outOfOffice?.openingPatterns ?? []),
        ...(l.forwardNote?.trivialPhrases ?? []),
        ...(l.forwardNote?.courtesyWords ?? []),
      ];
      for (const p of lowered) expect(p, l.code).toBe(p.toLowerCase());
    }
  });
});

describe('mergeLocales', () => {
  it('keeps each phrase once, in locale order', () => {
    const merged = mergeLocales([
      { code: 'a', name: 'A', attribution: { verbs: ['x', 'y'] } },
      { code: 'b', name: 'B', attribution: { verbs: ['y', 'z'] } },
    ]);
    expect(merged.verbs).toEqual(['x', 'y', 'z']);
    expect(merged.headerLabels).toEqual({ from: [], date: [], to: [], cc: [], subject: [], other: [] });
  });

  it('with no languages at all, knows no verb (an empty phrase list matches nothing, not everything)', () => {
    const none = attributionPatterns(mergeLocales([]));
    expect(isAttribution('On 3 Jan 2023 Ann Example wrote:', false, none)).toBe(false);
    expect(isAttribution('On 3 Jan 2023 Ann Example wrote:', false)).toBe(true);
  });

  it('orders month prefixes longest first, so "marras" (November) is not read as "mar" (March)', () => {
    const prefixes = mergeLocales(LOCALES).monthPrefixes.map(([p]) => p);
    expect(prefixes.indexOf('marras')).toBeLessThan(prefixes.indexOf('mar'));
    expect(prefixes.indexOf('janv')).toBeLessThan(prefixes.indexOf('jan'));
  });
});

describe('a language added through the same builder', () => {
  it('is not recognised before it is added', () => {
    expect(isAttribution(ZORBIAN_LINE, false)).toBe(false);
    expect(isAttribution(ZORBIAN_LINE, false, attributionPatterns(mergeLocales(LOCALES)))).toBe(false);
  });

  it('makes its attribution line recognised, by the verb alone or with its start word and month', () => {
    const patterns = attributionPatterns(mergeLocales([...LOCALES, ZORBIAN]));
    expect(isAttribution(ZORBIAN_LINE, false, patterns)).toBe(true);
    expect(mayBeAttributionLine('Ann Example blorfte', patterns)).toBe(true);
    // Start word and a month of its own: "Kwa 3 zyx, Ann <ann@example.org> sent:" needs both to count.
    expect(isAttribution('Kwa 3 zyx, Ann <ann@example.org> sent:', false)).toBe(false);
    expect(isAttribution('Kwa 3 zyx, Ann <ann@example.org> sent:', false, patterns)).toBe(true);
    // The known languages still work next to it.
    expect(isAttribution('On Tue, 3 Jan 2023 at 10:12, Ann <ann@example.org> wrote:', false, patterns)).toBe(true);
  });
});

describe('every phrase of every language reaches its pattern', () => {
  const phrases = mergeLocales(LOCALES);

  it('attribution verbs: "3 Jan 2023 10:12, Ann VERB:"', () => {
    for (const l of LOCALES) {
      for (const verb of l.attribution?.verbs ?? []) {
        expect(isAttribution(`3 Jan 2023 10:12, Ann Example ${verb}:`, false), `${l.code}: ${verb}`).toBe(true);
      }
    }
  });

  it('original-message and forwarded-message separators', () => {
    for (const l of LOCALES) {
      for (const p of l.separators?.originalMessage ?? []) {
        expect(isOriginalMessageLine(`-----${p.toUpperCase()}-----`), `${l.code}: ${p}`).toBe(true);
      }
      for (const p of l.separators?.forwardedMessage ?? []) {
        expect(isForwardLine(`---------- ${p} ---------`), `${l.code}: ${p}`).toBe(true);
      }
      for (const p of l.separators?.beginForwarded ?? []) {
        expect(isForwardLine(`${p}:`), `${l.code}: ${p}`).toBe(true);
      }
    }
  });

  it('header labels name their field, and no label names two fields', () => {
    for (const l of LOCALES) {
      for (const [field, labels] of Object.entries(l.headerLabels ?? {}) as [HeaderField, string[]][]) {
        for (const label of labels) {
          expect(headerLine(`${label}: Ann Example`)?.field, `${l.code}: ${label}`).toBe(field);
          const elsewhere = Object.entries(phrases.headerLabels).filter(([f, ls]) => f !== field && ls.includes(label));
          expect(elsewhere, `${l.code}: ${label}`).toEqual([]);
        }
      }
    }
  });

  it('contact labels and street words of signature blocks', () => {
    for (const l of LOCALES) {
      for (const label of l.signature?.contactLabels ?? []) {
        expect(hasContactMarker(`${label} 42`), `${l.code}: ${label}`).toBe(true);
      }
      for (const type of l.signature?.streetTypes ?? []) {
        expect(isAddressLine(`1400 Smith ${type}`), `${l.code}: ${type}`).toBe(true);
      }
      for (const prefix of l.signature?.streetPrefixes ?? []) {
        expect(isAddressLine(`12 ${prefix} de la Paix`), `${l.code}: ${prefix}`).toBe(true);
      }
    }
  });

  it('sign-offs and reply prefixes', () => {
    for (const l of LOCALES) {
      for (const s of l.signOffs ?? []) expect(signOff(`${s},`), `${l.code}: ${s}`).toEqual({ withName: false });
      for (const p of l.subject?.reply ?? []) {
        expect(stripReplyPrefixes(`${p}: Lunch`), `${l.code}: ${p}`).toBe('Lunch');
      }
    }
  });
});
