// The report's charts and page from hand-made data: vega renders every chart that has data to an
// SVG with data marks, a chart without data is replaced by words, resvg makes a PNG, and the page
// escapes what came from mail (a correspondent named "<script>") and inlines everything.
import { describe, expect, it } from 'vitest';
import { renderCharts, svgToPng } from '../../src/report/charts.js';
import { type ReportData, weekOf } from '../../src/report/data.js';
import { reportHtml } from '../../src/report/html.js';
import type { RouteSummary } from '../../src/train/routes.js';

const summary = (chrf: number, loss: number): RouteSummary => ({
  samples: 4,
  chrf,
  loss,
  lossTokens: 80,
  greeting: 1,
  signOff: 0.5,
  language: 1,
  style: 0.5,
  lengthRatio: 1.1,
});

const data: ReportData = {
  generatedAt: Date.UTC(2024, 5, 1),
  accounts: ['work'],
  curves: [
    { run_id: 1, version_id: 1, kind: 'base_eval', step: 0, loss: 5 },
    { run_id: 1, version_id: 1, kind: 'train', step: 1, loss: 4.8 },
    { run_id: 1, version_id: 1, kind: 'train', step: 2, loss: 4.1 },
    { run_id: 1, version_id: 1, kind: 'eval', step: 2, loss: 4.3 },
  ],
  versions: [
    {
      id: 1,
      createdAt: Date.UTC(2024, 4, 30),
      status: 'promoted',
      routes: { prompted: summary(20, 5), candidate: summary(35, 4.3) },
      comparedWith: null,
      decision: 'loss 5.000 → 4.300 and chrF 20.0 → 35.0 over the prompted route, on 4 held-out messages',
      legacy: { chrf: 35, style: 0.5, evalLoss: 4.3, baseEvalLoss: 5 },
    },
  ],
  drafts: [
    { week: '2024-05-20', outcome: 'kept', count: 2 },
    { week: '2024-05-20', outcome: 'discarded', count: 1 },
    { week: '2024-05-27', outcome: 'edited', count: 3 },
  ],
  draftsWritten: 6,
  noDraft: [{ reason: 'already answered', count: 3 }],
  dataset: {
    examples: 10,
    train: 8,
    eval: 2,
    languages: [{ language: 'en', examples: 10 }],
    correspondents: [{ correspondent: '<script>alert(1)</script>@x', examples: 10 }],
    drops: [],
  },
};

describe('report charts', () => {
  it('renders every chart with data as SVG with data marks, and none for want of data', async () => {
    const charts = await renderCharts(data);
    const byName = Object.fromEntries(charts.map((c) => [c.name, c]));
    for (const name of [
      'training-curves',
      'routes',
      'drafts-per-week',
      'no-draft',
      'dataset-languages',
      'dataset-correspondents',
    ]) {
      expect(byName[name]?.svg, name).toMatch(/^<svg[\s\S]*class="[^"]*role-mark/);
    }
    expect(byName['dataset-drops']?.svg).toBeNull();
    expect(byName['dataset-drops']?.empty).toMatch(/Nothing was left out/);
    const png = await svgToPng(byName.routes?.svg as string);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(2000);

    const html = reportHtml(data, charts);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;@x');
    expect(html).toContain('Version 1 writes your drafts');
    expect(html).toContain('chrF 20.0 → <b>35.0</b> (+15.0)');
    expect(html.match(/<figure><svg/g)).toHaveLength(6);
  }, 60_000);

  it('weeks start on Monday (UTC)', () => {
    expect(weekOf(Date.UTC(2024, 5, 2, 23))).toBe('2024-05-27'); // a Sunday
    expect(weekOf(Date.UTC(2024, 5, 3, 0))).toBe('2024-06-03'); // a Monday
  });
});
