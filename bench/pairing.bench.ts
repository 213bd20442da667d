// Benchmark: who answered what. Builds the dataset of the three Enron users (../shared/corpora/enron) synced from
// Dovecot, compares the pairs with the hand labels in tests/fixtures/pairing-labels.jsonl, and runs two automatic
// checks on every pair. Prints one JSON line last.   npm run bench:pairing
//
// parent_precision: of the labelled replies that became a pair, how many have the right parent (a stored parent
//   by Message-ID or an identical copy; a reconstructed one when its sender and date match the label's);
// parent_recall: of the labelled replies that have a parent, how many became a pair with the right one;
// reply_text_exact: of the right pairs with a labelled reply text, how many have exactly that text (whitespace
//   collapsed); yield: pairs / reply-like sent mail (Re: subject or an "Original Message" block, as in
//   counts.json), the copies the Enron folders hold of one message counted once;
// check_parent_not_top_of_quote / check_not_addressed_to_parent_sender: share of all pairs whose parent's text is
//   not the first message quoted in the reply / whose reply is not addressed to the parent's sender.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { buildDataset } from '../src/dataset/build.js';
import { sameText } from '../src/dataset/pair-warnings.js';
import { addressedTo, nameMatches } from '../src/dataset/people.js';
import { quotedMessage } from '../src/mail/quoted-message.js';
import type { Person } from '../src/model/prompt.js';
import { openStore } from '../src/store/db.js';
import { ENRON, enronFiles, syncedEnronAccount } from './lib/enron.js';

const LABELS = resolve(import.meta.dirname, '../tests/fixtures/pairing-labels.jsonl');
const log = (s: string) => process.stderr.write(`${s}\n`);
const HOUR = 3_600_000;

interface Label {
  reply: string;
  reply_message_id: string;
  also?: string[];
  parent: string | null;
  parent_message_id: string | null;
  kind: 'stored' | 'quote-only' | 'forward' | 'reply-to-self' | 'not-a-reply';
  parent_from: string | null;
  parent_date?: string | null;
  reply_text: string | null;
  note?: string;
}

interface ManifestRow {
  path: string;
  folder: string;
  message_id: string;
  subject: string;
  norm_subject: string;
  subject_starts_RE: boolean;
  contains_original_message: boolean;
}

interface ExampleRow {
  reply_key: string;
  reply_content: number;
  parent_content: number;
  paired_by: string;
  source: string;
}

interface Source {
  input: { incoming: { from: Person[]; date: number | null; body: string } };
  reply: string;
}

const flat = (s: string) => s.replace(/\s+/g, ' ').trim();
const round = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** The body of a raw message file (after the header block), whitespace collapsed: how copies are recognised. */
function bodyKey(raw: Buffer): string {
  const text = raw.toString('latin1').replace(/\r\n/g, '\n');
  const cut = text.indexOf('\n\n');
  return flat(cut >= 0 ? text.slice(cut) : '').slice(0, 2000);
}

function senderMatches(labelFrom: string | null, person: Person | undefined): boolean {
  if (!labelFrom || !person) return false;
  const address = labelFrom.toLowerCase();
  if (person.address?.toLowerCase() === address) return true;
  return person.name !== undefined && nameMatches(person.name, { address: address.split('@')[0] ?? '' });
}

/** Same instant up to a whole number of hours (quoted dates carry no zone), within 26 h. */
function sameTime(a: number | null, b: number | null, slackMs: number): boolean {
  if (a === null || b === null) return false;
  const d = Math.abs(a - b);
  return d <= 26 * HOUR && (d % HOUR <= slackMs || d % HOUR >= HOUR - slackMs);
}

async function main() {
  const files = enronFiles();
  const manifest = new Map(readJsonl<ManifestRow>(join(ENRON, 'manifest.jsonl')).map((r) => [r.path, r]));
  const labels = existsSync(LABELS) ? readJsonl<Label>(LABELS) : [];
  const enron = await syncedEnronAccount(files);
  try {
    log(`synced ${enron.synced} Enron messages in ${enron.syncSeconds.toFixed(1)} s; ${labels.length} labels`);
    const loaded = loadConfig({ configPath: enron.config });
    const account = loaded.accounts[0];
    if (!account) throw new Error('no account in the bench config');
    const db = openStore(loaded.dbPath);
    const summary = buildDataset({ db, account, settings: loaded.dataset, force: true, noCache: true });
    log(`build: ${JSON.stringify(summary)}`);

    // What the store knows: Message-IDs per content, recipients, bodies; the examples built.
    const contentsOf = new Map<string, number>();
    const idsOf = new Map<number, Set<string>>();
    const recipients = new Map<number, { to: Person[]; cc: Person[] }>();
    for (const row of db.prepare('SELECT content_id, message_id, to_addrs, cc_addrs FROM messages').all() as {
      content_id: number;
      message_id: string | null;
      to_addrs: string | null;
      cc_addrs: string | null;
    }[]) {
      if (row.message_id) {
        contentsOf.set(row.message_id, row.content_id);
        const ids = idsOf.get(row.content_id) ?? new Set<string>();
        ids.add(row.message_id);
        idsOf.set(row.content_id, ids);
      }
      recipients.set(row.content_id, {
        to: JSON.parse(row.to_addrs ?? '[]') as Person[],
        cc: JSON.parse(row.cc_addrs ?? '[]') as Person[],
      });
    }
    const bodies = new Map<number, { text: string | null; html: string | null }>();
    for (const row of db.prepare('SELECT id, body_text, body_html FROM contents').all() as {
      id: number;
      body_text: string | null;
      body_html: string | null;
    }[])
      bodies.set(row.id, { text: row.body_text, html: row.body_html });
    const sameBody = (a: number, b: number) =>
      a === b || flat(bodies.get(a)?.text ?? '-a') === flat(bodies.get(b)?.text ?? '-b');
    const examples = db
      .prepare('SELECT reply_key, reply_content, parent_content, paired_by, source FROM examples')
      .all() as ExampleRow[];
    const dropOf = new Map(
      (db.prepare('SELECT reply_key, reason FROM dataset_drops').all() as { reply_key: string; reason: string }[]).map(
        (d) => [d.reply_key, d.reason],
      ),
    );
    db.close();
    const byReply = new Map(examples.map((e) => [e.reply_content, e]));

    // Reply-like sent mail, each message once however many folders hold a copy of it; and, to see where the
    // yield goes, what became of each (its first copy's drop reason, or "pair").
    const replyLike = new Map<string, string>();
    for (const f of files) {
      const m = manifest.get(f.rel);
      if (!m || f.mailbox !== 'Sent' || !(m.subject_starts_RE || m.contains_original_message)) continue;
      const key = `${f.rel.split('/')[0]}\u0000${m.norm_subject}\u0000${bodyKey(f.bytes)}`;
      const content = contentsOf.get(m.message_id);
      const fate = content !== undefined && byReply.has(content) ? 'pair' : (dropOf.get(m.message_id) ?? 'unknown');
      if (!replyLike.has(key) || fate === 'pair') replyLike.set(key, `${fate}\u0000${f.rel}`);
    }
    const fates: Record<string, number> = {};
    for (const v of replyLike.values()) {
      const [fate] = v.split('\u0000');
      fates[fate ?? ''] = (fates[fate ?? ''] ?? 0) + 1;
    }
    log(`reply-like sent mail: ${JSON.stringify(fates)}`);
    if (process.env.BENCH_SHOW_FATE)
      for (const v of replyLike.values())
        if (v.startsWith(`${process.env.BENCH_SHOW_FATE}\u0000`))
          log(`  ${process.env.BENCH_SHOW_FATE}: ${v.split('\u0000')[1]}`);

    // The example made of a labelled reply or of one of its copies (a copy may have been kept instead).
    const exampleFor = (label: Label): ExampleRow | undefined => {
      const ids = [label.reply_message_id, ...(label.also ?? []).map((p) => manifest.get(p)?.message_id ?? '')];
      const contents = ids.map((id) => contentsOf.get(id)).filter((c): c is number => c !== undefined);
      for (const c of contents) {
        const direct = byReply.get(c);
        if (direct) return direct;
      }
      return examples.find((e) => contents.some((c) => sameBody(c, e.reply_content)));
    };

    let made = 0;
    let right = 0;
    let withParent = 0;
    let textLabelled = 0;
    let textExact = 0;
    const wrong: string[] = [];
    const missed: string[] = [];
    for (const label of labels) {
      const hasParent = label.kind === 'stored' || label.kind === 'quote-only';
      if (hasParent) withParent++;
      const e = exampleFor(label);
      if (!e) {
        if (hasParent)
          missed.push(`${label.reply} (${label.kind}): ${dropOf.get(label.reply_message_id) ?? 'not built'}`);
        continue;
      }
      made++;
      const source = JSON.parse(e.source) as Source;
      const incoming = source.input.incoming;
      let ok = false;
      if (hasParent) {
        if (e.paired_by === 'reconstructed') {
          const labelDate = label.parent_date ? Date.parse(label.parent_date) : null;
          ok =
            senderMatches(label.parent_from, incoming.from[0]) &&
            (labelDate === null || incoming.date === null || sameTime(labelDate, incoming.date, 2 * 60_000));
        } else {
          const parentIds = idsOf.get(e.parent_content) ?? new Set<string>();
          const labelled = label.parent_message_id ? contentsOf.get(label.parent_message_id) : undefined;
          ok =
            (label.parent_message_id !== null && parentIds.has(label.parent_message_id)) ||
            (labelled !== undefined && sameBody(labelled, e.parent_content)) ||
            (label.kind === 'quote-only' &&
              senderMatches(label.parent_from, incoming.from[0]) &&
              label.parent_date !== undefined &&
              label.parent_date !== null &&
              sameTime(Date.parse(label.parent_date), incoming.date, 2 * 60_000));
        }
      }
      if (!ok) {
        wrong.push(
          `${label.reply} (${label.kind}, parent ${label.parent ?? label.parent_from}) → ${e.paired_by} ${incoming.from[0]?.address ?? incoming.from[0]?.name} ${incoming.date ? new Date(incoming.date).toISOString() : ''}`,
        );
        continue;
      }
      right++;
      if (label.reply_text !== null) {
        textLabelled++;
        if (flat(source.reply) === flat(label.reply_text)) textExact++;
        else
          log(
            `reply text differs for ${label.reply}:\n  ours:  ${JSON.stringify(source.reply)}\n  label: ${JSON.stringify(label.reply_text)}`,
          );
      }
    }
    for (const w of wrong) log(`wrong pair: ${w}`);
    for (const m of missed) log(`no pair: ${m}`);

    // The two automatic checks, on every pair built.
    let notTop = 0;
    let notAddressed = 0;
    for (const e of examples) {
      const incoming = (JSON.parse(e.source) as Source).input.incoming;
      const body = bodies.get(e.reply_content);
      const quoted = body ? quotedMessage(body) : null;
      const top = Boolean(quoted?.text.trim() && !sameText(quoted?.text ?? '', incoming.body));
      const sender = incoming.from[0];
      const addressed = !sender || addressedTo(recipients.get(e.reply_content) ?? { to: [], cc: [] }, sender);
      if (top) notTop++;
      if (!addressed) notAddressed++;
      if (process.env.BENCH_SHOW_FLAGGED && (top || !addressed))
        log(
          `flagged ${e.reply_key} (${e.paired_by}):${top ? ' parent not top of quote;' : ''}${addressed ? '' : ` not addressed to ${sender?.address ?? sender?.name}`}`,
        );
    }
    const share = (n: number) => (examples.length ? n / examples.length : 0);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'pairing',
        labelled: labels.length,
        parent_precision: round(made ? right / made : null),
        parent_recall: round(withParent ? right / withParent : null),
        reply_text_exact: round(textLabelled ? textExact / textLabelled : null),
        yield: round(replyLike.size ? examples.length / replyLike.size : 0),
        pairs: examples.length,
        reply_like: replyLike.size,
        check_parent_not_top_of_quote: round(share(notTop)),
        check_not_addressed_to_parent_sender: round(share(notAddressed)),
      })}\n`,
    );
  } finally {
    await enron.stop();
  }
}

main().catch((err) => {
  log(`bench:pairing failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
