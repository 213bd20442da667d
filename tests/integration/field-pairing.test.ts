// Every case of ../shared/corpora/field/pairing against a real Dovecot: the case's INBOX/*.eml and Sent/*.eml are
// appended, synced and built with the CLI, and the examples its NOTE.md demands must come out (and no others).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { newAccount, runCli } from '../helpers/account.js';
import { appendMessages } from '../helpers/mail.js';

const server = inject('dovecot');
const CASES = resolve(import.meta.dirname, '../../../shared/corpora/field/pairing');

interface ShownPair {
  replyKey: string;
  pairedBy: string;
  reconstructed: boolean;
  evidence: string[];
  warnings: string[];
  incoming: { from: { name?: string; address?: string }[]; date: number | null; subject: string | null; body: string };
  reply: string;
}

interface CaseResult {
  build: { examples: number; dropped: Record<string, number> };
  pairs: ShownPair[];
  stats: { reconstructed: number; pairedBy: Record<string, number>; duplicates: { key: string; keptCopy: string }[] };
  exported: { messages: { role: string; content: string }[]; metadata: Record<string, unknown> }[];
}

function emls(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8').replace(/\r?\n/g, '\r\n'));
  } catch {
    return [];
  }
}

const messageId = (raw: string) => /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? '';

/** The account's addresses: those NOTE.md lists, else the senders of the case's Sent mail. */
function addresses(name: string): string[] {
  const note = readFileSync(join(CASES, name, 'NOTE.md'), 'utf8');
  const listed = /Account addresses:([^\n]+(?:\n[^\n]+)*?)\./.exec(note)?.[1];
  if (listed) return [...listed.matchAll(/[\w.+-]+@[\w.-]+\w/g)].map((m) => m[0].toLowerCase());
  return [
    ...new Set(
      emls(join(CASES, name, 'Sent')).map((raw) => /^From:\s*(\S+@\S+)/im.exec(raw)?.[1]?.toLowerCase() ?? ''),
    ),
  ];
}

/** Syncs one case into a fresh account and builds it; returns what build, show, stats and export say. */
async function runCase(name: string): Promise<CaseResult> {
  const account = newAccount(server);
  account.writeConfig({ account: '' });
  const config = readFileSync(account.configFile, 'utf8').replace(
    /^addresses = .*$/m,
    `addresses = ${JSON.stringify(addresses(name))}`,
  );
  const { writeFileSync } = await import('node:fs');
  writeFileSync(account.configFile, config, { mode: 0o600 });
  const client = await account.client();
  await appendMessages(client, 'INBOX', emls(join(CASES, name, 'INBOX')));
  await appendMessages(client, 'Sent', emls(join(CASES, name, 'Sent')));
  await client.logout();
  const cli = (...args: string[]) => runCli(['--config', account.configFile, ...args]);
  const sync = await cli('sync', '--quiet');
  expect(sync.code, sync.stderr).toBe(0);
  const build = await cli('dataset', 'build', '--json');
  expect(build.code, build.stderr).toBe(0);
  const show = await cli('dataset', 'show', '--sample', '0', '--json');
  expect(show.code, show.stderr).toBe(0);
  const stats = await cli('dataset', 'stats', '--json');
  expect(stats.code, stats.stderr).toBe(0);
  const out = join(account.dir, 'export.jsonl');
  const exported = await cli('dataset', 'export', out, '--metadata');
  expect(exported.code, exported.stderr).toBe(0);
  const result: CaseResult = {
    build: JSON.parse(build.stdout).accounts[0],
    pairs: JSON.parse(show.stdout).pairs,
    stats: JSON.parse(stats.stdout).accounts[0],
    exported: readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  };
  console.log(
    `${name}: ${result.pairs.length} pairs ${JSON.stringify(result.pairs.map((p) => ({ reply: p.replyKey, by: p.pairedBy, from: p.incoming.from, warnings: p.warnings })))}; dropped ${JSON.stringify(result.build.dropped)}`,
  );
  return result;
}

const sent = (name: string, file: string) => messageId(readFileSync(join(CASES, name, 'Sent', file), 'utf8'));
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('field pairing cases (../shared/corpora/field/pairing)', () => {
  it('covers every case of the corpus', () => {
    const cases = readdirSync(CASES, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(cases).toEqual([
      'direct-parent-only-in-quote',
      'duplicate-copies-date-skew',
      'forward-with-note',
      'parent-dated-after-reply',
      'parent-only-in-quote',
    ]);
  });

  it('direct-parent-only-in-quote: each reply answers the FIRST quoted message, never one quoted deeper', async () => {
    const name = 'direct-parent-only-in-quote';
    const r = await runCase(name);
    expect(r.pairs).toHaveLength(2);
    const honored = r.pairs.find((p) => p.replyKey === sent(name, '2-real-reply-honored.eml'));
    const working = r.pairs.find((p) => p.replyKey === sent(name, '3-working-on-it.eml'));
    // Sent/2 → the stored invitation (INBOX/1).
    expect(honored?.pairedBy).toBe('quote');
    expect(honored?.incoming.from[0]?.address).toBe('astaude@iirltd.co.uk');
    expect(flat(honored?.incoming.body ?? '')).toContain('I would like to offer you to be the chairman');
    expect(flat(honored?.reply ?? '')).toBe('Angelika, I shall be honored to serve as a chairman. Vince');
    // Sent/3 → the sender's next message, rebuilt from the quote; the invitation quoted deeper is not it.
    expect(working?.pairedBy).toBe('reconstructed');
    expect(working?.reconstructed).toBe(true);
    expect(working?.incoming.from[0]).toEqual({ name: 'Angelika Staude', address: 'astaude@iirltd.co.uk' });
    expect(working?.incoming.subject).toBe('RE: Gas & PoweRisk 2001 - Chairman');
    expect(working?.incoming.date).toBe(Date.UTC(2001, 9, 24, 8, 20));
    expect(flat(working?.incoming.body ?? '')).toBe(
      'Brilliant, thank you. All we need now is your presentation... Angelika',
    );
    expect(flat(working?.reply ?? '')).toBe('Angelika, Working on it. Vince');
    expect(r.stats.reconstructed).toBe(1);
    expect(r.exported.filter((e) => e.metadata.parent_reconstructed === true)).toHaveLength(1);
  });

  it('duplicate-copies-date-skew: two copies of one reply, 10 hours apart, make one example', async () => {
    const r = await runCase('duplicate-copies-date-skew');
    expect(r.pairs).toHaveLength(1);
    expect(r.build.dropped.duplicate).toBe(1);
    // The copy left out names the one kept (the older Date: copy-b, 04:06 -0700).
    expect(r.stats.duplicates).toEqual([
      { key: sent('duplicate-copies-date-skew', '3-reply-copy-a.eml'), keptCopy: r.pairs[0]?.replyKey },
    ]);
    expect(r.pairs[0]?.replyKey).toBe(sent('duplicate-copies-date-skew', '4-reply-copy-b.eml'));
    expect(r.pairs[0]?.incoming.from[0]?.address).toBe('jinbaek@yahoo.com');
    // Of the two stored copies of the parent, the one dated before the reply.
    expect(r.pairs[0]?.warnings).toEqual([]);
    expect(flat(r.pairs[0]?.reply ?? '')).toMatch(/^Jinbaek, May 30 sounds good\. .* talk to him\. Vince$/);
  });

  it('forward-with-note: forwards to a third party are not replies; the real reply is the one example', async () => {
    const name = 'forward-with-note';
    const r = await runCase(name);
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0]?.replyKey).toBe(sent(name, '4-real-reply-to-bob.eml'));
    expect(r.pairs[0]?.incoming.from[0]?.address).toBe('rnau@mail.duke.edu');
    expect(flat(r.pairs[0]?.reply ?? '')).toMatch(/^Bob, I shall send you a formal letter of recommendation/);
    expect(r.build.dropped.forward).toBe(2);
  });

  it('parent-dated-after-reply: the stored parent is paired although its Date is later (clock skew), with a warning', async () => {
    const r = await runCase('parent-dated-after-reply');
    expect(r.pairs).toHaveLength(1);
    const pair = r.pairs[0];
    expect(pair?.pairedBy).toBe('quote');
    expect(pair?.incoming.from[0]?.address).toBe('jporte1@columbiaenergygroup.com');
    expect(pair?.incoming.date).toBe(Date.UTC(2000, 2, 16, 14, 39));
    expect(pair?.evidence).toContain('dated after the reply (clock skew)');
    expect(pair?.warnings).toContain('parent_dated_after_reply');
    expect(flat(pair?.reply ?? '')).toBe('I want to make sure Joni sees everyting on CGAS as well.');
  });

  it('parent-only-in-quote: the parent exists only in the quote and is reconstructed from it', async () => {
    const r = await runCase('parent-only-in-quote');
    expect(r.pairs).toHaveLength(1);
    const pair = r.pairs[0];
    expect(pair?.pairedBy).toBe('reconstructed');
    expect(pair?.incoming.from[0]).toEqual({ name: 'Lu, Zimin' });
    expect(pair?.incoming.subject).toBe('P+ pricing/hedging');
    expect(pair?.incoming.date).toBe(Date.UTC(2001, 5, 19, 13, 43));
    expect(pair?.incoming.body).toMatch(/^A meeting is scheduled with Bill White and Don Schroeder/);
    expect(pair?.incoming.body).not.toContain('Stinson  ');
    expect(pair?.reply).toBe('Zimin,\n\nI shall be in California on Thu.\n\nVince');
    expect(pair?.warnings).toEqual([]);
    const record = r.exported[0];
    expect(record?.metadata).toMatchObject({ paired_by: 'reconstructed', parent_reconstructed: true });
    expect(record?.messages[1]?.content).toContain('A meeting is scheduled');
  });
});
