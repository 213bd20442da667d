// Benchmark: reply extraction (src/mail/reply-text) against planer and email-reply-parser on the 230 known-answer
// cases of ../shared/corpora/quotes, plus the cost of replyText on the Enron mailboxes. Prints one JSON line last.
//
//   npm run bench:quotes          (QUOTES_VERBOSE=1 lists every failing case with both outputs)
//
// Scoring rules (the same for every tool):
// - text and eml cases: the output and `expected_reply` are compared whitespace-normalised: CRLF→LF, no-break
//   spaces as spaces, every line trimmed at both ends, runs of blank lines collapsed to one, trimmed. `exact` and
//   `strip` both use this rule (line breaks still count); no tool's output is ever cut short.
// - html cases (`whitespace_insensitive`, `html_exact`): talon's expected value is HTML, while every tool here returns
//   text. The corpus gives `expected_reply`, the text of that HTML by tag stripping; outputs are compared to it with
//   all whitespace removed, which is talon's own rule for HTML.
// - `expect_unchanged` cases have the input as `expected_reply`, so they need no special rule.
// - One output per tool, in its natural mode (Understudy: replyText as dataset build calls it). A case counts when the
//   output matches `expected_reply`, or, for the cases named in bench/quotes-conventions.ts only, the answer the case
//   has under this product's reading of a convention the sources contradict each other on (sign-off kept; signature
//   block, forwarded message and Outlook's rule line dropped), each contradiction shown by another case of the
//   corpus. Those entries are checked against the corpus first, apply to every tool alike, and their number is
//   printed (`cases_either_reading`); `*_acc_expected_only` is the score against `expected_reply` alone.
// - planer needs a DOM `Document` for HTML (jsdom in its own tests), which this project does not ship; html cases
//   get planer's plain-text extractor on htmlToText(input), the same text email-reply-parser (plain text only) gets.
//   eml cases: Understudy decodes them as sync stores them (decodeMessage, the one decoding path); the other tools get
//   the text part mailparser's simpleParser makes of them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import EmailReplyParser from 'email-reply-parser';
import { simpleParser } from 'mailparser';
import { htmlToText } from '../src/mail/html-text.js';
import { decodeMessage } from '../src/mail/message-decode.js';
import { replyText } from '../src/mail/reply-text.js';
import { CONVENTIONS, type ConventionName, DISPUTED } from './quotes-conventions.js';

const CORPORA = resolve(import.meta.dirname, '../../shared/corpora');
const VERBOSE = process.env.QUOTES_VERBOSE === '1';
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Case {
  id: string;
  language: string;
  format: 'text' | 'html' | 'eml';
  task: string;
  input: string;
  expected_reply: string;
  compare: 'exact' | 'strip' | 'whitespace_insensitive' | 'html_exact';
  expect_unchanged: boolean;
}

interface Planer {
  extractFromPlain(body: string): string;
}
const planer = createRequire(import.meta.url)('planer') as Planer;
const erp = new EmailReplyParser();

/** Whitespace-normalised text: see the scoring rules above. */
function normalise(s: string): string {
  const out: string[] = [];
  for (const raw of s
    .replace(/\r\n?/g, '\n')
    .replace(/\u00a0/g, ' ')
    .split('\n')) {
    const line = raw.trim();
    if (line === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(line);
  }
  return out.join('\n').trim();
}

const noWhitespace = (s: string) => s.replace(/\s+/g, '');

function same(c: Case, output: string, answer: string): boolean {
  if (c.format === 'html') return noWhitespace(output) === noWhitespace(answer);
  return normalise(output) === normalise(answer);
}

/** The answers a case accepts: `expected_reply`, plus this product's reading where the corpus disputes it. */
function accepted(c: Case, disputed: ReadonlyMap<string, string>): string[] {
  const ours = disputed.get(c.id);
  return ours === undefined ? [c.expected_reply] : [c.expected_reply, ours];
}

/**
 * Checks bench/quotes-conventions.ts against the corpus, so that a second accepted answer cannot be made up: every
 * named case exists; each convention's evidence case holds the text and keeps or drops it as stated; each disputed
 * case's second answer differs from its expected one and consists of lines of its input, in order. Returns the
 * second answers by case id; throws with every problem found.
 */
function disputedAnswers(cases: readonly Case[]): Map<string, string> {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const problems: string[] = [];
  for (const [name, convention] of Object.entries(CONVENTIONS)) {
    for (const e of convention.evidence) {
      const c = byId.get(e.id);
      const text = noWhitespace(e.text);
      if (!c) problems.push(`${name}: evidence case ${e.id} is not in the corpus`);
      else if (!noWhitespace(c.input).includes(text))
        problems.push(`${name}: ${e.id} input lacks ${JSON.stringify(e.text)}`);
      else if (noWhitespace(c.expected_reply).includes(text) !== e.kept)
        problems.push(
          `${name}: ${e.id} expected answer does not ${e.kept ? 'keep' : 'drop'} ${JSON.stringify(e.text)}`,
        );
    }
  }
  const out = new Map<string, string>();
  for (const d of DISPUTED) {
    const c = byId.get(d.id);
    if (!c) {
      problems.push(`disputed case ${d.id} is not in the corpus`);
      continue;
    }
    if (same(c, d.ours, c.expected_reply)) problems.push(`${d.id}: the second answer equals the expected one`);
    const source = normalise(c.format === 'html' ? htmlToText(c.input) : c.input).split('\n');
    let at = 0;
    for (const line of normalise(d.ours)
      .split('\n')
      .filter((l) => l !== '')) {
      while (at < source.length && noWhitespace(source[at] ?? '') !== noWhitespace(line)) at++;
      if (at === source.length) {
        problems.push(`${d.id}: second answer line ${JSON.stringify(line)} is not a later line of the input`);
        break;
      }
      at++;
    }
    if (out.has(d.id)) problems.push(`${d.id} is listed twice`);
    out.set(d.id, d.ours);
  }
  if (problems.length > 0)
    throw new Error(
      `bench/quotes-conventions.ts disagrees with the corpus (fix or remove these entries):\n  ${problems.join('\n  ')}`,
    );
  return out;
}

/** The language a case is filed under: "fr/en" and "fr (+en)" count as French. */
const languageOf = (c: Case) => (c.language.match(/^[a-z]+/)?.[0] ?? c.language) || 'und';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function timeUs(fn: () => void, repeat: number): number {
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / repeat;
}

interface Tally {
  cases: number;
  understudy: number;
  planer: number;
  email_reply_parser: number;
}

const TOOLS = ['understudy', 'planer', 'email_reply_parser'] as const;
type Tool = (typeof TOOLS)[number];
const emptyTally = (): Tally => ({ cases: 0, understudy: 0, planer: 0, email_reply_parser: 0 });

async function main(): Promise<void> {
  const cases = readFileSync(join(CORPORA, 'quotes/cases.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Case);
  log(`quotes: ${cases.length} cases from ${join(CORPORA, 'quotes/cases.jsonl')}`);
  const disputed = disputedAnswers(cases);
  log('rules: text/eml whitespace-normalised, html without whitespace; one output per tool; the expected answer, or');
  log(`       for ${disputed.size} cases the corpus disputes (bench/quotes-conventions.ts), this product's reading;`);
  log('       planer (no DOM here) and email-reply-parser get htmlToText(input) for html cases');

  const total = emptyTally();
  const expectedOnly = emptyTally();
  const perLanguage = new Map<string, Tally>();
  const perConvention = new Map<ConventionName, Tally>();
  const timings: number[] = [];
  const failures: string[] = [];

  for (const c of cases) {
    let body: { text?: string | null; html?: string | null };
    let plain: string;
    if (c.format === 'eml') {
      const parsed = await simpleParser(c.input);
      const stored = decodeMessage(Buffer.from(c.input, 'utf8'), { sent: true });
      body = { text: stored.bodyText, html: stored.bodyHtml };
      plain = parsed.text ?? htmlToText(parsed.html || '');
    } else if (c.format === 'html') {
      body = { html: c.input };
      plain = htmlToText(c.input);
    } else {
      body = { text: c.input };
      plain = c.input;
    }

    const outputs: Record<Tool, string> = {
      understudy: replyText(body).text,
      planer: safe(() => planer.extractFromPlain(plain)),
      email_reply_parser: safe(() => erp.read(plain).getVisibleText()),
    };
    timings.push(timeUs(() => replyText(body), 20));

    const answers = accepted(c, disputed);
    const lang = languageOf(c);
    const t = perLanguage.get(lang) ?? emptyTally();
    perLanguage.set(lang, t);
    const conventions = DISPUTED.find((d) => d.id === c.id)?.conventions ?? [];
    const tallies = [t, total];
    for (const name of conventions) {
      const ct = perConvention.get(name) ?? emptyTally();
      perConvention.set(name, ct);
      tallies.push(ct);
    }
    for (const tally of [...tallies, expectedOnly]) tally.cases++;
    for (const tool of TOOLS) {
      if (answers.some((a) => same(c, outputs[tool], a))) for (const tally of tallies) tally[tool]++;
      if (same(c, outputs[tool], c.expected_reply)) expectedOnly[tool]++;
    }
    if (!answers.some((a) => same(c, outputs.understudy, a))) {
      failures.push(c.id);
      if (VERBOSE) {
        log(`\n✗ ${c.id} [${c.format}/${c.compare}/${c.language}]`);
        log(`  expected: ${JSON.stringify(c.expected_reply.slice(0, 400))}`);
        if (answers[1] !== undefined) log(`  or ours:  ${JSON.stringify(answers[1].slice(0, 400))}`);
        log(`  output:   ${JSON.stringify(outputs.understudy.slice(0, 400))}`);
      }
    }
  }

  const acc = (k: Tool, tally: Tally = total) => round(tally[k] / tally.cases);
  log(
    `understudy ${total.understudy}/${total.cases} (expected answer only: ${expectedOnly.understudy}), ` +
      `planer ${total.planer} (${expectedOnly.planer}), email-reply-parser ${total.email_reply_parser} ` +
      `(${expectedOnly.email_reply_parser})`,
  );
  for (const [name, t] of perConvention) {
    log(
      `  disputed '${name}': ${t.cases} cases scored either way (${CONVENTIONS[name].ours}); understudy ${t.understudy}, ` +
        `planer ${t.planer}, email-reply-parser ${t.email_reply_parser}`,
    );
  }
  log(`understudy misses (${failures.length}): ${failures.join(', ')}`);
  const medianUs = median(timings);
  log(`replyText: median ${medianUs.toFixed(1)} µs per case`);

  const enron = enronCost();

  const languages = [...perLanguage].sort((a, b) => b[1].cases - a[1].cases);
  const per_language = Object.fromEntries(
    languages.map(([lang, t]) => [
      lang,
      {
        cases: t.cases,
        understudy: round(t.understudy / t.cases),
        planer: round(t.planer / t.cases),
        email_reply_parser: round(t.email_reply_parser / t.cases),
      },
    ]),
  );
  const result = {
    bench: 'quotes',
    cases: total.cases,
    cases_either_reading: disputed.size,
    understudy_acc: acc('understudy'),
    planer_acc: acc('planer'),
    email_reply_parser_acc: acc('email_reply_parser'),
    understudy_acc_expected_only: acc('understudy', expectedOnly),
    planer_acc_expected_only: acc('planer', expectedOnly),
    email_reply_parser_acc_expected_only: acc('email_reply_parser', expectedOnly),
    per_language,
    reply_text_median_us: round(medianUs),
    ...(await enron),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * replyText on every message of the Enron slice: on the raw body (split at the first blank line) and on what
 * mailparser makes of the whole message, against the cost of that mailparser parse alone.
 */
async function enronCost(): Promise<Record<string, number>> {
  const root = join(CORPORA, 'enron');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.')) files.push(p);
    }
  };
  walk(root);
  const raws = files.map((f) => readFileSync(f, 'utf8'));
  const bodies = raws.map((raw) => {
    const m = /\r?\n\r?\n/.exec(raw);
    return m ? raw.slice(m.index + m[0].length) : '';
  });
  for (const b of bodies.slice(0, 200)) replyText({ text: b }); // warm-up
  const rawUs = timeUs(() => {
    for (const b of bodies) replyText({ text: b });
  }, 3);

  const parsed: { text: string | null; html: string | null }[] = [];
  const t0 = process.hrtime.bigint();
  for (const raw of raws) {
    const p = await simpleParser(raw);
    parsed.push({ text: p.text ?? null, html: p.html || null });
  }
  const parseUs = Number(process.hrtime.bigint() - t0) / 1e3;
  const replyUs = timeUs(() => {
    for (const p of parsed) replyText(p);
  }, 3);
  const n = raws.length;
  log(
    `enron: ${n} messages; replyText ${(rawUs / n).toFixed(1)} µs/message on raw bodies, ` +
      `${(replyUs / n).toFixed(1)} µs/message on parsed ones; mailparser ${(parseUs / n).toFixed(1)} µs/message; ` +
      `parse + replyText = ${((parseUs + replyUs) / parseUs).toFixed(3)}× parse alone`,
  );
  return {
    enron_messages: n,
    enron_reply_text_us_per_message: round(replyUs / n),
    enron_mailparser_us_per_message: round(parseUs / n),
    enron_cost_vs_mailparser: round((parseUs + replyUs) / parseUs),
  };
}

function safe(fn: () => string): string {
  try {
    return fn();
  } catch (e) {
    return `<<threw ${(e as Error).message}>>`;
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

main().catch((e: unknown) => {
  // The stack only helps with a bug in this script; a corpus or conventions problem is said in the message.
  log(VERBOSE ? String((e as Error)?.stack ?? e) : String((e as Error)?.message ?? e));
  process.exit(1);
});
