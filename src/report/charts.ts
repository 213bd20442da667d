// The report's charts: Vega-Lite specs rendered to SVG in Node by vega's headless view (no
// browser, no canvas, no network), and to PNG by resvg (its binary ships inside the npm package).
// A chart without data is not drawn: the report says so in words instead.
import type { ReportData } from './data.js';

export interface Chart {
  /** File name stem: <name>.svg and <name>.png. */
  name: string;
  title: string;
  /** What the chart shows and how to read it, one or two sentences. */
  caption: string;
  /** null when there is nothing to draw yet; `empty` then says why. */
  svg: string | null;
  empty: string;
}

/** A Vega-Lite spec (kept loose: vega-lite validates it when compiling). */
type Spec = Record<string, unknown>;

const WIDTH = 520;
const HEIGHT = 220;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  background: 'white',
};

/** Specs for every chart of the report, with their data inlined. */
export function chartSpecs(
  data: ReportData,
): { name: string; title: string; caption: string; spec: Spec | null; empty: string }[] {
  const versionName = (id: number | null, run: number) => (id === null ? `run ${run}` : `v${id}`);
  const curves = data.curves.map((p) => ({
    series: versionName(p.version_id, p.run_id),
    kind: p.kind === 'train' ? 'train' : 'held-out',
    step: p.step,
    loss: p.loss,
  }));
  const routeRows = data.versions.flatMap((v) =>
    (
      [
        ['prompted', 'prompted route'],
        ['candidate', 'tuned'],
      ] as const
    ).flatMap(([route, label]) => {
      const s = v.routes[route];
      return s?.samples ? [{ version: `v${v.id}`, route: label, chrf: s.chrf, loss: s.loss, style: s.style }] : [];
    }),
  );
  const bar = (x: Spec, y: Spec, extra: Spec = {}) => ({
    mark: { type: 'bar', tooltip: true },
    encoding: { x, y, ...extra },
  });
  return [
    {
      name: 'training-curves',
      title: 'Training curves',
      caption:
        'Loss per optimizer step on your replies (solid) and on the held-out replies (dashed; at step 0 the base model), one colour per trained version. Lower is better.',
      empty: 'No training has run yet: run understudy train.',
      spec: curves.length
        ? {
            data: { values: curves },
            width: WIDTH,
            height: HEIGHT,
            mark: { type: 'line', strokeWidth: 1.6 },
            encoding: {
              x: { field: 'step', type: 'quantitative', title: 'step' },
              y: { field: 'loss', type: 'quantitative', title: 'loss (nats per token)', scale: { zero: false } },
              color: { field: 'series', type: 'nominal', title: 'version', legend: { symbolType: 'stroke' } },
              strokeDash: {
                field: 'kind',
                type: 'nominal',
                title: 'loss on',
                sort: ['train', 'held-out'],
                legend: { symbolType: 'stroke' },
              },
              detail: { field: 'kind' },
            },
          }
        : null,
    },
    {
      name: 'routes',
      title: 'Prompting vs fine-tuning',
      caption:
        'On the same held-out messages: the prompted route (the base model shown a few of your past replies, what drafting uses before a version is promoted) and each tuned version. chrF: how close the reply is to what you sent (higher is better); loss: how unlikely your real reply is under the route (lower is better).',
      empty: 'No version has been evaluated against the prompted route yet.',
      spec: routeRows.length
        ? {
            data: { values: routeRows },
            hconcat: [
              {
                width: WIDTH / 2 - 30,
                height: HEIGHT,
                ...bar(
                  { field: 'version', type: 'nominal', title: null, axis: { labelAngle: 0 } },
                  { field: 'chrf', type: 'quantitative', title: 'chrF (higher: closer)' },
                  { xOffset: { field: 'route' }, color: { field: 'route', type: 'nominal', title: 'route' } },
                ),
              },
              {
                width: WIDTH / 2 - 30,
                height: HEIGHT,
                ...bar(
                  { field: 'version', type: 'nominal', title: null, axis: { labelAngle: 0 } },
                  { field: 'loss', type: 'quantitative', title: 'loss (lower: likelier)' },
                  { xOffset: { field: 'route' }, color: { field: 'route', type: 'nominal', title: 'route' } },
                ),
              },
            ],
          }
        : null,
    },
    {
      name: 'drafts-per-week',
      title: 'Drafts per week',
      caption:
        'Drafts written each week and what became of them: sent as written (kept), lightly edited, rewritten, deleted without a reply (discarded), replaced by a newer draft, edited or moved by you but not sent yet (taken over), or still waiting in Drafts.',
      empty: 'No drafts written yet: run understudy draft, or let the daemon do it.',
      spec: data.drafts.length
        ? {
            data: { values: data.drafts },
            width: WIDTH,
            height: HEIGHT,
            ...bar(
              { field: 'week', type: 'ordinal', title: 'week of' },
              {
                field: 'count',
                type: 'quantitative',
                title: 'drafts',
                aggregate: 'sum',
                axis: { tickMinStep: 1, format: 'd' },
              },
              {
                color: {
                  field: 'outcome',
                  type: 'nominal',
                  title: 'outcome',
                  sort: ['kept', 'edited', 'rewritten', 'discarded', 'replaced', 'taken over', 'waiting'],
                },
              },
            ),
          }
        : null,
    },
    horizontal(
      'no-draft',
      'Why mail got no draft',
      'Every message in INBOX without a draft of ours, by the reason drafting gives it (as understudy draft --dry-run shows), or why its generated reply was refused.',
      'No mail in INBOX yet: run understudy sync.',
      data.noDraft.map((r) => ({ label: r.reason, count: r.count })),
      'messages',
    ),
    horizontal(
      'dataset-languages',
      'Your replies by language',
      `The training examples (${data.dataset.examples}: ${data.dataset.train} to learn from, ${data.dataset.eval} held out to evaluate) by the language you wrote in.`,
      'No training examples yet: run understudy sync, then understudy dataset build.',
      data.dataset.languages.map((r) => ({ label: r.language, count: r.examples })),
      'examples',
    ),
    horizontal(
      'dataset-correspondents',
      'Your replies by correspondent',
      'Whom the examples answer (the twelve most frequent).',
      'No training examples yet.',
      data.dataset.correspondents.map((r) => ({ label: r.correspondent, count: r.examples })),
      'examples',
    ),
    horizontal(
      'dataset-drops',
      'Sent mail left out of the dataset',
      'Sent messages that did not become a training example, by reason (understudy dataset stats lists them).',
      'Nothing was left out.',
      data.dataset.drops.map((r) => ({ label: r.reason, count: r.count })),
      'sent messages',
    ),
  ];
}

function horizontal(
  name: string,
  title: string,
  caption: string,
  empty: string,
  rows: { label: string; count: number }[],
  unit: string,
): { name: string; title: string; caption: string; spec: Spec | null; empty: string } {
  return {
    name,
    title,
    caption,
    empty,
    spec: rows.length
      ? {
          data: { values: rows },
          width: WIDTH - 160,
          height: { step: 18 },
          encoding: {
            y: { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } }, // rows come sorted
            x: { field: 'count', type: 'quantitative', title: unit, axis: { tickMinStep: 1, format: 'd' } },
          },
          layer: [
            { mark: { type: 'bar', tooltip: true, color: '#4c78a8' } },
            { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'count' } } },
          ],
        }
      : null,
  };
}

/** Renders every chart to SVG with vega's headless view (loaded here: most commands never need it). */
export async function renderCharts(data: ReportData): Promise<Chart[]> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  // No chart loads anything: every spec has its data inline. A loader that refuses makes sure.
  const loader = vega.loader();
  loader.load = async (uri: string) => {
    // assert: every spec has its data inline; a spec that loads is a bug in chartSpecs
    throw new Error(`the report loads nothing, but a chart asked for ${uri}`);
  };
  const charts: Chart[] = [];
  for (const c of chartSpecs(data)) {
    if (!c.spec) {
      charts.push({ name: c.name, title: c.title, caption: c.caption, svg: null, empty: c.empty });
      continue;
    }
    const compiled = vl.compile({ ...c.spec, config: CONFIG } as never).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
    const svg = await view.toSVG();
    view.finalize();
    charts.push({ name: c.name, title: c.title, caption: c.caption, svg, empty: c.empty });
  }
  return charts;
}

/** A PNG of an SVG chart at twice its size (for README screenshots, chat, slides). */
export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  return Buffer.from(
    new Resvg(svg, {
      fitTo: { mode: 'zoom', value: 2 },
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
      background: 'white',
    })
      .render()
      .asPng(),
  );
}
