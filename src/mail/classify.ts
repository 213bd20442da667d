// Tells which messages must never become training data or get a drafted reply (auto-replies, bulk, lists, bounces…).
// The rules are here; the subjects and sentences they look for, per language, are in src/mail/locales/.
import { LOCALES, mergeLocales } from './locales/index.js';
import { alternation } from './regex-text.js';

const PHRASES = mergeLocales(LOCALES);

export type SkipReason =
  | 'auto_reply'
  | 'bulk'
  | 'mailing_list'
  | 'no_reply_sender'
  | 'bounce'
  | 'calendar'
  | 'bare_forward';

export interface ClassifyInput {
  /** Lower-cased header names → raw (undecoded, unfolded) values, as parseHeaderBlock() in src/mail/headers.ts returns. */
  headers: Record<string, string[]>;
  from: { name?: string; address?: string }[];
  /** Decoded. */
  subject: string | null;
  /** Top-level Content-Type, e.g. 'multipart/report', 'text/calendar'. */
  mimeType: string | null;
  /** Non-inline parts, e.g. { type: 'text/calendar' }. */
  attachments: { type: string; filename?: string }[];
  /** The author's own text (quotes and signature already removed) — for out-of-office phrases and bare-forward detection; null when unknown. */
  ownText: string | null;
  /** True when the body contained a forwarded-message section. */
  forwarded?: boolean;
}

/** The order reasons are reported in: most specific first (a bounce is also a no-reply sender's mail). */
const ORDER: readonly SkipReason[] = [
  'bounce',
  'calendar',
  'auto_reply',
  'bare_forward',
  'mailing_list',
  'bulk',
  'no_reply_sender',
];

const DESCRIPTIONS: Record<SkipReason, string> = {
  auto_reply: 'sent automatically (an auto-reply, out-of-office notice or other machine-generated message)',
  bulk: 'bulk mail (a newsletter, marketing campaign or other mass mailing)',
  mailing_list: 'sent through a mailing list',
  no_reply_sender: 'from an address that takes no replies (no-reply, notifications, mailer-daemon, …)',
  bounce: 'a delivery failure report (bounce)',
  calendar: 'a calendar invitation or a response to one',
  bare_forward: 'a forward without text of its own',
};

// Hostile input is cut before any pattern sees it: a header or subject of megabytes is not a message
// a person wrote, and the first kilobyte says all these rules need.
const MAX_VALUES_PER_HEADER = 8;
const MAX_VALUE_CHARS = 1_000;
const MAX_HEADER_NAMES = 500;
const MAX_ADDRESSES = 20;
const MAX_ATTACHMENTS = 100;
/** Own text longer than this is not an out-of-office notice (those are a few lines, if bilingual a few more). */
const MAX_OUT_OF_OFFICE_CHARS = 1_000;
/** Own text longer than this is never a "trivial note" on a forward. */
const MAX_TRIVIAL_NOTE_CHARS = 300;
/** A forward whose own text has at most this many words, after dropping greetings, thanks and "FYI", is bare. */
const MAX_TRIVIAL_NOTE_WORDS = 3;

/** Every reason that applies (empty array = an ordinary personal message). Order: most specific first. */
export function classifyMessage(input: ClassifyInput): SkipReason[] {
  const found = new Set<SkipReason>();
  const msg = readInput(input);
  // Each rule runs on its own: one that trips over odd input must not hide the others (and never throws).
  const rules: [SkipReason, (m: Message) => boolean][] = [
    ['bounce', isBounce],
    ['calendar', isCalendar],
    ['auto_reply', isAutoReply],
    ['bare_forward', isBareForward],
    ['mailing_list', isMailingList],
    ['bulk', isBulk],
    // A no-reply From with a Reply-To to someone who reads mail (a contact form, a ticket system) is answerable.
    ['no_reply_sender', (m) => m.from.some(isNoReplyAddress) && !repliesReachSomeone(m)],
  ];
  for (const [reason, rule] of rules) {
    try {
      if (rule(msg)) found.add(reason);
    } catch {
      // A rule that cannot read its input does not apply.
    }
  }
  return ORDER.filter((r) => found.has(r));
}

/** A one-line human explanation of a reason, shown by `dataset stats` / `draft --dry-run`. */
export function describeSkipReason(reason: SkipReason): string {
  return DESCRIPTIONS[reason] ?? String(reason);
}

// ---------------------------------------------------------------------------------------------
// Private: the input, normalised once.

interface Message {
  /** Lower-cased, trimmed, capped values of a header; [] when absent. */
  header(name: string): string[];
  headerNames: string[];
  from: { name: string; address: string }[];
  /** NFC, trimmed, capped, whitespace collapsed; not lower-cased. */
  subject: string;
  /** Type/subtype, lower-cased, from mimeType or else the Content-Type header; '' when unknown. */
  mimeType: string;
  /** The report-type parameter of a multipart/report Content-Type (RFC 6522 §3), lower-cased; '' when absent. */
  reportType: string;
  attachmentTypes: string[];
  ownText: string | null;
  forwarded: boolean;
}

function readInput(input: ClassifyInput): Message {
  const headers: Record<string, unknown> = isObject(input?.headers) ? input.headers : {};
  const header = (name: string): string[] => {
    if (!Object.hasOwn(headers, name)) return [];
    const values = headers[name];
    if (!Array.isArray(values)) return typeof values === 'string' ? [clean(values)] : [];
    return values
      .slice(0, MAX_VALUES_PER_HEADER)
      .filter((v): v is string => typeof v === 'string')
      .map(clean);
  };
  const contentType = header('content-type')[0] ?? '';
  const givenType = typeof input?.mimeType === 'string' ? clean(input.mimeType) : '';
  return {
    header,
    headerNames: Object.keys(headers).slice(0, MAX_HEADER_NAMES),
    from: (Array.isArray(input?.from) ? input.from : [])
      .slice(0, MAX_ADDRESSES)
      .filter(isObject)
      .map((a) => ({
        name: typeof a.name === 'string' ? a.name.slice(0, MAX_VALUE_CHARS).trim() : '',
        address: typeof a.address === 'string' ? clean(a.address) : '',
      })),
    subject:
      typeof input?.subject === 'string'
        ? input.subject.slice(0, MAX_VALUE_CHARS).normalize('NFC').replace(/\s+/g, ' ').trim()
        : '',
    mimeType: mediaType(givenType || contentType),
    reportType: /(?:^|;)\s*report-type\s*=\s*"?([a-z0-9.+-]+)/.exec(contentType)?.[1] ?? '',
    attachmentTypes: (Array.isArray(input?.attachments) ? input.attachments : [])
      .slice(0, MAX_ATTACHMENTS)
      .filter(isObject)
      .map((a) => (typeof a.type === 'string' ? mediaType(clean(a.type)) : '')),
    ownText: typeof input?.ownText === 'string' ? input.ownText : null,
    forwarded: input?.forwarded === true,
  };
}

function clean(value: string): string {
  return value.slice(0, MAX_VALUE_CHARS).trim().toLowerCase();
}

/** 'text/calendar; method=REQUEST' → 'text/calendar'. */
function mediaType(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

/** The first word of a structured header value, without parameters or comments: 'auto-replied; x=y' → 'auto-replied'. */
function token(value: string): string {
  return value.split(/[\s;(]/)[0] ?? '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// ---------------------------------------------------------------------------------------------
// bounce

/**
 * Subject openings of delivery failure reports: Postfix ("Undelivered Mail Returned to Sender"), Gmail
 * ("Delivery Status Notification (Failure)"), Exim ("Mail delivery failed: returning message to sender"),
 * sendmail ("Returned mail: see transcript for details"), qmail ("failure notice") and Exchange, whose
 * "Undeliverable:" is localised (de "Unzustellbar:", nl "Onbestelbaar:", fr "Non remis :", es "No se puede
 * entregar:", it "Non recapitabile:"). Alone they prove nothing (a person may forward one), so they count
 * only together with a bounce sender.
 */
const FAILURE_SUBJECT = new RegExp(`^(?:${alternation(PHRASES.bounceSubjects)})`, 'i');

function isBounce(m: Message): boolean {
  // RFC 6522 multipart/report with report-type delivery-status is a DSN (RFC 3464; RFC 6533's
  // global-delivery-status is its internationalised form). A report whose type we cannot read is
  // almost always one too; read receipts and other reports are counted as auto_reply instead.
  if (m.mimeType === 'multipart/report') {
    if (m.reportType === '' || m.reportType === 'delivery-status' || m.reportType === 'global-delivery-status') {
      return true;
    }
  }
  // Exim names the addresses it could not deliver to in X-Failed-Recipients, on bounces only.
  if (m.header('x-failed-recipients').some(Boolean)) return true;
  if (!FAILURE_SUBJECT.test(m.subject)) return false;
  // A failure subject from the MTA itself: MAILER-DAEMON or postmaster (RFC 5321 §4.5.1), or a message
  // with the null reverse-path <> (RFC 5321 §4.5.5: what DSNs are sent with, kept in Return-Path).
  if (m.from.some((a) => /^(?:mailer-daemon|postmaster)(?:@|$)/.test(a.address))) return true;
  if (m.from.some((a) => /^mail delivery (?:sub)?system$/i.test(a.name))) return true;
  return m.header('return-path').some((v) => /^<\s*>$/.test(v));
}

// ---------------------------------------------------------------------------------------------
// calendar

const CALENDAR_TYPES = new Set(['text/calendar', 'application/ics']);

/**
 * Subject prefixes of invitations and responses as Google Calendar and Outlook write them, in en, nl, de,
 * fr, es. Only at the very start and only with the colon: "Re: Invitation: …" is a person answering one.
 * French puts a (no-break) space before the colon.
 */
const CALENDAR_SUBJECT = new RegExp(`^(?:${alternation(PHRASES.calendarSubjects)})\\s*:`, 'i');

function isCalendar(m: Message): boolean {
  // An iCalendar object (RFC 5545) sent as mail is an iTIP message (RFC 6047): invitation, reply, cancel.
  if (CALENDAR_TYPES.has(m.mimeType)) return true;
  if (m.attachmentTypes.some((t) => CALENDAR_TYPES.has(t))) return true;
  // Exchange marks meeting requests and responses with this content class, whatever their parts.
  if (m.header('content-class').some((v) => v.startsWith('urn:content-classes:calendarmessage'))) return true;
  return CALENDAR_SUBJECT.test(m.subject);
}

// ---------------------------------------------------------------------------------------------
// auto_reply

/**
 * Subjects auto-responders write, only at the start and followed by a colon, a closing bracket or the end:
 * Outlook's "Automatic reply:" (older "Out of Office:", "Out of Office AutoReply:") and its translations
 * (nl "Automatisch antwoord:", older "Afwezig:"; de "Automatische Antwort:", older "Abwesenheitsnotiz:";
 * fr "Réponse automatique :", older "Absence du bureau :"; es "Respuesta automática:", older "Fuera de la
 * oficina:"), and the "Auto-Reply:" / "[Autoreply]" of many vacation programs. Dovecot's sieve vacation
 * writes "Auto: …", which is not here: in Dutch and German "Auto" is a car; its Auto-Submitted header
 * (RFC 5230 §5.1) catches it instead.
 */
const AUTO_REPLY_SUBJECT = new RegExp(`^[[(]?\\s*(?:${PHRASES.autoReplyPatterns.join('|')})\\s*(?::|[\\])]|$)`, 'i');

/**
 * A greeting line, and a "thank you for your message" sentence, that out-of-office notices open with: they
 * are skipped so that the notice itself is at the start. Only thanks for the *message* are skipped: after
 * "Thanks for the slides." a person is talking.
 */
const OPENING_GREETING = new RegExp(`^(?:${PHRASES.greetingPatterns.join('|')})\\b[^,!:\\n]{0,60}[,!:\\n]\\s*`);
const OPENING_THANKS = new RegExp(`^(?:${PHRASES.thanksPatterns.join('|')})[^.!\\n]{0,60}[.!\\n]\\s*`);

/**
 * The first sentence of an out-of-office notice, in en, nl, de, fr, es: a statement that the writer is
 * away now ("I am out of the office", "Ik ben … afwezig", "Ich bin bis … nicht im Büro", "Je suis absent",
 * "Estoy fuera de la oficina") or will be away for a stated period ("I will be out of the office until …"),
 * or that this is an automatic reply. A plain "I'll be out of office next week" names no period and is
 * what a person writes, so the future tense needs "until"/"from" and the like.
 */
const OUT_OF_OFFICE_OPENING = new RegExp(`^(?:${PHRASES.outOfOfficePatterns.join('|')})`);

function isAutoReply(m: Message): boolean {
  // RFC 3834 §5: Auto-Submitted: auto-replied / auto-generated (or an extension); only "no" means a person.
  if (m.header('auto-submitted').some((v) => token(v) !== '' && token(v) !== 'no')) return true;
  // De-facto headers of older vacation programs and some webmail auto-responders.
  const isSet = (v: string) => v !== '' && !['no', 'false', '0'].includes(token(v));
  if (m.header('x-autoreply').some(isSet) || m.header('x-autorespond').some(isSet)) return true;
  if (m.header('x-autogenerated').some((v) => token(v) === 'reply')) return true;
  // Precedence (RFC 2076, not standard): "auto_reply" is what several vacation programs send.
  if (m.header('precedence').some((v) => ['auto_reply', 'auto-reply'].includes(token(v)))) return true;
  // X-Auto-Response-Suppress is deliberately not a sign: Outlook and Exchange put it on ordinary
  // messages too (it asks *other* servers not to auto-reply), so it says nothing about this one.

  // RFC 6522 reports that are not DSNs: read receipts (RFC 8098 disposition-notification), abuse
  // feedback (RFC 5965), TLS reports — all generated by software, none written by a person.
  if (m.mimeType === 'multipart/report' && !isBounce(m)) return true;
  if (AUTO_REPLY_SUBJECT.test(m.subject)) return true;
  return hasOutOfOfficeOpening(m.ownText);
}

/**
 * Out-of-office wording in the body, looked for only where a notice has it: at the start of a short own
 * text. A question to the reader means a person is talking (notices state, they do not ask), so text
 * with a question mark is never taken for a notice.
 */
function hasOutOfOfficeOpening(ownText: string | null): boolean {
  if (ownText === null) return false;
  let text = ownText.trim();
  if (text === '' || text.length > MAX_OUT_OF_OFFICE_CHARS || /[?¿]/.test(text)) return false;
  text = text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/[ \t\u00a0]+/g, ' ');
  text = text.replace(OPENING_GREETING, '');
  text = text.replace(OPENING_THANKS, '');
  return OUT_OF_OFFICE_OPENING.test(text);
}

// ---------------------------------------------------------------------------------------------
// bare_forward

/**
 * Forward prefixes (en "Fwd:"/"Fw:", de "WG:", nl "Doorst:", fr "TR:", es "RV:", pt "Enc:"), possibly with a
 * counter ("Fw[2]:") and after reply prefixes (Re, AW, Antw, SV, R), or the old "[Fwd: …]" form.
 */
const FORWARD_SUBJECT = new RegExp(
  `^(?:(?:${PHRASES.replyBeforeForward.join('|')})\\s*(?:\\[\\d+\\])?\\s*:\\s*)*` +
    `(?:(?:${PHRASES.forwardPatterns.join('|')})\\s*(?:\\[\\d+\\])?\\s*:|\\[fwd?:)`,
  'i',
);

/**
 * Notes that say nothing but "here it is" (en, nl, de, fr, es), removed before the words are counted;
 * longest first so that "see below" goes before "see".
 */
const TRIVIAL_PHRASES = PHRASES.trivialPhrases;
/** Greetings, thanks and sign-offs of more than one word, removed like the trivial phrases. */
const COURTESY_PHRASES = PHRASES.courtesyPhrases;
// Longest first, so that "dank je wel" goes before "dank je"; a space or hyphen in a phrase matches either.
const TRIVIAL_PHRASE = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${[...TRIVIAL_PHRASES, ...COURTESY_PHRASES]
    .sort((a, b) => b.length - a.length)
    .map((p) => p.replace(/[-\s]+/g, '[-\\s]+'))
    .join('|')})(?![\\p{L}\\p{N}])`,
  'gu',
);
/** Single-word greetings, thanks and sign-offs, which carry no message either. */
const COURTESY_WORDS = new Set(PHRASES.courtesyWords);

/**
 * A forward whose own text is missing or trivial ("FYI", "Zie onder.", "Hi Anna, see below. Bob"): not
 * something the user wrote for the reader, so nothing to learn from or to answer. Judgment: after removing
 * the trivial phrases and courtesy words, up to MAX_TRIVIAL_NOTE_WORDS words may remain (names: "Hi Jan
 * Willem, FYI. Piet"), so "Can you check?" is bare while "Can you handle this by Friday?" is not. When the
 * own text is unknown (null) nothing is claimed.
 */
function isBareForward(m: Message): boolean {
  if (!m.forwarded && !FORWARD_SUBJECT.test(m.subject)) return false;
  if (m.ownText === null) return false;
  return isTrivialNote(m.ownText);
}

/** True when a subject marks a forward ("Fwd: x", "FW: x", "RE: FW: x", "[Fwd: x]", localised). */
export function isForwardSubject(subject: string | null | undefined): boolean {
  return typeof subject === 'string' && FORWARD_SUBJECT.test(subject.trim().slice(0, 400));
}

/**
 * True when a forward's own text says nothing of its own: empty, or at most three words once greetings, thanks and
 * "FYI" are dropped ("FYI", "see below", "Thanks! —Ann"). Longer than 300 characters never is.
 */
export function isTrivialNote(ownText: string): boolean {
  const text = ownText.trim();
  if (text === '') return true;
  if (text.length > MAX_TRIVIAL_NOTE_CHARS) return false;
  const words = text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(TRIVIAL_PHRASE, ' ')
    .split(/[^\p{L}\p{N}']+/u)
    .filter((w) => w !== '' && !COURTESY_WORDS.has(w));
  return words.length <= MAX_TRIVIAL_NOTE_WORDS;
}

// ---------------------------------------------------------------------------------------------
// mailing_list and bulk

function isMailingList(m: Message): boolean {
  // List-Id (RFC 2919) and List-Post (RFC 2369; "NO" on announcement-only lists, still a list).
  if (m.header('list-id').some(Boolean) || m.header('list-post').some(Boolean)) return true;
  return m.header('precedence').some((v) => token(v) === 'list');
}

/** Headers that only campaign tools set: the message is a mailing to many, whatever else it is. */
const CAMPAIGN_HEADERS = ['x-campaign', 'x-campaignid', 'x-campaign-id', 'x-mc-user'];
const CAMPAIGN_HEADER_PREFIXES = ['x-mailchimp-'];
/**
 * Headers of email service providers (Google's Feedback-ID for bulk senders, SendGrid, Mailgun). The same
 * services also relay ordinary mail for small companies and self-hosters, so these count only on a message
 * that answers none (no In-Reply-To or References, RFC 5322 §3.6.4): a newsletter starts no thread.
 */
const ESP_HEADERS = ['feedback-id', 'x-sg-eid', 'x-mailgun-sid'];

function isBulk(m: Message): boolean {
  // Precedence: bulk / junk (RFC 2076; RFC 3834 §3.1.8 tells responders to stay quiet on them).
  if (m.header('precedence').some((v) => ['bulk', 'junk'].includes(token(v)))) return true;
  // List-Unsubscribe (RFC 2369, one-click RFC 8058) without List-Id: a newsletter rather than a discussion list.
  if (m.header('list-unsubscribe').some(Boolean) && !m.header('list-id').some(Boolean)) return true;
  if (CAMPAIGN_HEADERS.some((h) => m.header(h).some(Boolean))) return true;
  if (m.headerNames.some((n) => CAMPAIGN_HEADER_PREFIXES.some((p) => n.startsWith(p)))) return true;
  const answers = m.header('in-reply-to').some(Boolean) || m.header('references').some(Boolean);
  return !answers && ESP_HEADERS.some((h) => m.header(h).some(Boolean));
}

// ---------------------------------------------------------------------------------------------
// no_reply_sender

/**
 * Local parts of addresses that nobody reads: no-reply in its spellings (noreply, no_reply, no.reply,
 * do-not-reply, donotreply), notification(s), MAILER-DAEMON, postmaster, bounce(s). Matched on whole
 * segments between separators so that "bruno.reply" does not count, after dropping a
 * "+tag" (bounces+123-abc@ is SendGrid's VERP form). An address without "@" (a bare "MAILER-DAEMON") is
 * all local part.
 */
const NO_REPLY_LOCAL =
  /(?:^|[._=-])(?:(?:no|do[._-]?not|dont)[._-]?repl(?:y|ies)|notifications?|mailer[._-]?daemon|postmaster|bounces?)(?:$|[._=-]|\d)/;

/** True when the Reply-To names an address that is not a no-reply one (the reply goes there, RFC 5322 §3.6.2). */
function repliesReachSomeone(m: Message): boolean {
  const addresses = m.header('reply-to').flatMap((v) => v.match(/[^\s<>"(),;:]+@[^\s<>"(),;:]+/g) ?? []);
  return addresses.some((address) => !isNoReplyAddress({ address }));
}

function isNoReplyAddress(a: { address: string }): boolean {
  if (a.address === '') return false;
  const at = a.address.lastIndexOf('@');
  const local = (at === -1 ? a.address : a.address.slice(0, at)).replace(/^"|"$/g, '');
  const untagged = local.split('+')[0] ?? '';
  return NO_REPLY_LOCAL.test(untagged);
}
