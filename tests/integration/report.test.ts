// `understudy report` end to end: a persona mailbox on Dovecot, a short training of the tiny
// model (both routes evaluated), a draft run, then the report, opened in a real headless Chromium
// (Debian's `chromium`, driven by playwright-core): every chart drawn has data marks, the page
// logs no error and requests nothing but itself, and the charts exist as SVG and PNG files.
// A screenshot is kept in $TMPDIR (understudy-report.png) for a person to look at.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';
import { seedPersonaMailbox } from '../helpers/persona.js';
import { tinyModel, tinyTrainSection } from '../helpers/tiny-model.js';

const server = inject('dovecot');
const CHROMIUM = process.env.UNDERSTUDY_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe('understudy report', () => {
  let account: TestAccount;
  let drafted = 0;
  let refused = 0;
  const cli = (args: string[], timeout = 600_000) => runCli(['--config', account.configFile, ...args], {}, timeout);

  beforeAll(async () => {
    account = newAccount(server, {
      top: `${tinyTrainSection(tinyModel(), { max_steps: 24, eval_samples: 4 })}[dataset]\neval_fraction = 0.15\n[drafts]\ntemperature = 0\nmax_new_tokens = 40\nmax_age_days = 30\n`,
    });
    const client = await account.client();
    const address = `${account.user}@example.test`;
    await seedPersonaMailbox(client, address, 40);
    // Two new, unanswered messages: the draft run answers them.
    await appendMessages(
      client,
      'INBOX',
      ['Pieter Jansen <pieter@klant.example>', 'Tom Baker <tom@partner.example>'].map((from, i) =>
        buildMessage({
          from,
          to: `Anna de Vries <${address}>`,
          subject: i ? 'The contracts' : 'De offerte',
          body: i
            ? 'Hi Anna,\r\n\r\nWould you read through the contracts once more?\r\n\r\nThanks,\r\nTom\r\n'
            : 'Hoi Anna,\r\n\r\nKun je mij de offerte voor het nieuwe project sturen?\r\n\r\nGroet,\r\nPieter\r\n',
          date: new Date(Date.now() - (i + 1) * 3_600_000),
        }),
      ),
    );
    await client.logout();
    expect((await cli(['sync', '--quiet'])).code).toBe(0);
    const trained = await cli(['train', '--json'], 2_400_000);
    expect(trained.code, trained.stderr).toBe(0);
    // A model this short-trained may write something the outbox refuses (exit 1, the refusal
    // recorded): then the report shows it among the no-draft reasons instead of as a draft.
    const draft = await cli(['draft', '--json']);
    const run = (JSON.parse(draft.stdout) as { accounts: { drafted: unknown[]; failed: unknown[] }[] }).accounts[0];
    expect(draft.code, draft.stderr).toBe(run?.failed.length ? 1 : 0);
    drafted = run?.drafted.length ?? 0;
    refused = run?.failed.length ?? 0;
  }, 3_000_000);

  it('writes a self-contained page with every chart as SVG and PNG, and it renders in Chromium without errors or requests', async () => {
    const out = join(account.dir, 'report');
    const r = await cli(['report', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const written = JSON.parse(r.stdout) as {
      html: string;
      charts: { name: string; svg: string | null; png: string | null; empty: string | null }[];
      drafts: { count: number }[];
    };
    const drawn = written.charts.filter((c) => c.svg);
    // Training, both routes, the dataset and the no-draft reasons always have data here; drafts
    // per week has data exactly when the outbox journal holds a draft.
    for (const name of [
      'training-curves',
      'routes',
      'no-draft',
      'dataset-languages',
      'dataset-correspondents',
      'dataset-drops',
    ])
      expect(
        drawn.map((c) => c.name),
        name,
      ).toContain(name);
    expect(Boolean(written.charts.find((c) => c.name === 'drafts-per-week')?.svg)).toBe(drafted > 0);
    expect(written.drafts.reduce((n, w) => n + w.count, 0)).toBe(drafted);
    for (const c of drawn) {
      expect(readFileSync(c.svg!, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
      expect(readFileSync(c.png!).subarray(0, 8)).toEqual(
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      );
    }
    const html = readFileSync(written.html, 'utf8');
    // Self-contained: nothing to fetch, no script.
    expect(html).not.toMatch(/<script|<link|@import|url\(|src="http|href="http/i);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (req) => requests.push(req.url()));
      const url = pathToFileURL(written.html).href;
      await page.goto(url, { waitUntil: 'load' });
      const charts = await page.$$eval('section[data-chart]', (sections) =>
        sections.map((s) => ({
          name: s.getAttribute('data-chart'),
          svg: Boolean(s.querySelector('figure svg')),
          // Data marks: vega's role-mark groups, each with at least one drawn item inside.
          marks: [...s.querySelectorAll('figure svg g.role-mark')].filter((g) => g.childElementCount > 0).length,
          width: s.querySelector('figure svg')?.getBoundingClientRect().width ?? 0,
          empty: s.querySelector('.empty')?.textContent ?? null,
        })),
      );
      console.log(
        `report: ${charts.map((c) => `${c.name} ${c.svg ? `${c.marks} mark groups` : `empty (${c.empty})`}`).join('; ')}; ${drafted} drafted, ${refused} refused`,
      );
      expect(charts.map((c) => c.name).sort()).toEqual(written.charts.map((c) => c.name).sort());
      for (const c of charts) {
        const file = written.charts.find((w) => w.name === c.name)!;
        expect(c.svg, `${c.name} drawn in the page as in the files`).toBe(Boolean(file.svg));
        if (c.svg) {
          expect(c.marks, `${c.name}: data marks`).toBeGreaterThan(0);
          expect(c.width, `${c.name}: laid out`).toBeGreaterThan(100);
        } else expect(c.empty, `${c.name}: says why it is empty`).toBeTruthy();
      }
      // The versions table: the prompted route against the tuned version, and the decision.
      const table = await page.$eval('#versions table', (t) => t.textContent ?? '');
      expect(table).toMatch(/prompted route/);
      expect(table).toMatch(/v1/);
      expect(table).toMatch(/chrF|loss/);
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);
      const shot = join(process.env.TMPDIR ?? tmpdir(), 'understudy-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
      console.log(`screenshot: ${shot}`);
    } finally {
      await browser.close();
    }
  }, 300_000);

  it('status shows the promoted version’s margin over the prompted route, or that drafts use the prompted route', async () => {
    const r = await cli(['status']);
    const line = r.stdout.split('\n').find((l) => l.trim().startsWith('test:'));
    expect(line, r.stdout).toBeTruthy();
    expect(line).toMatch(
      /version 1 writes drafts; over the prompted route chrF [\d.]+ → [\d.]+ \([+−][\d.]+\), loss|prompted route \(cold start\)/,
    );
    console.log(`status: ${line?.trim()}`);
  });
});
