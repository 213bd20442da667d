// The languages whose mail phrases Understudy knows. Adding a language: one file beside this one and one line here.
import { ar } from './ar.js';
import { bg } from './bg.js';
import { bs } from './bs.js';
import { ca } from './ca.js';
import { cs } from './cs.js';
import { da } from './da.js';
import { de } from './de.js';
import { el } from './el.js';
import { en } from './en.js';
import { es } from './es.js';
import { et } from './et.js';
import { fa } from './fa.js';
import { fi } from './fi.js';
import { fr } from './fr.js';
import { he } from './he.js';
import { hi } from './hi.js';
import { hr } from './hr.js';
import { hu } from './hu.js';
import { id } from './id.js';
import { is } from './is.js';
import { it } from './it.js';
import { ja } from './ja.js';
import { ko } from './ko.js';
import { lt } from './lt.js';
import { lv } from './lv.js';
import { nl } from './nl.js';
import { no } from './no.js';
import { pl } from './pl.js';
import { pt } from './pt.js';
import { ro } from './ro.js';
import { ru } from './ru.js';
import { sk } from './sk.js';
import { sl } from './sl.js';
import { sr } from './sr.js';
import { sv } from './sv.js';
import { th } from './th.js';
import { tr } from './tr.js';
import type { MailLocale } from './types.js';
import { uk } from './uk.js';
import { vi } from './vi.js';
import { zh } from './zh.js';

export { type MailPhrases, mergeLocales } from './merge.js';
export type { HeaderField, MailLocale } from './types.js';

/** Every known language, in the order their device-footer patterns are tried (the most common mail first). */
export const LOCALES: readonly MailLocale[] = [
  en,
  nl,
  de,
  fr,
  es,
  it,
  pt,
  ca,
  pl,
  sv,
  da,
  no,
  is,
  fi,
  hu,
  cs,
  sk,
  sl,
  hr,
  sr,
  bs,
  bg,
  ru,
  uk,
  lt,
  lv,
  et,
  el,
  ro,
  tr,
  he,
  ar,
  fa,
  hi,
  th,
  id,
  vi,
  zh,
  ja,
  ko,
];
