// The report as one self-contained HTML page: the charts inlined as SVG, the tables, the styles;
// no script, no font, no image or anything else fetched from anywhere.
import type { RouteSummary } from '../train/routes.js';
import type { Chart } from './charts.js';
import type { ReportData, VersionRow } from './data.js';

/** The page for `data` with `charts` (as renderCharts made them). */
export function reportHtml(data: ReportData, charts: readonly Chart[]): string {
  const section = (c: Chart) => `
  <section class="chart" id="${c.name}" data-chart="${c.name}">
    <h2>${esc(c.title)}</h2>
    <p class="caption">${esc(c.caption)}</p>
    ${c.svg ? `<figure>${c.svg.replace(/^<\?xml[^>]*>/, '')}</figure><p class="files"><a href="${c.name}.svg">${c.name}.svg</a> · <a href="${c.name}.png">${c.name}.png</a></p>` : `<p class="empty">${esc(c.empty)}</p>`}
  </section>`;
  const byName = new Map(charts.map((c) => [c.name, c]));
  const take = (name: string) => {
    const c = byName.get(name);
    byName.delete(name);
    return c ? section(c) : '';
  };
  const promoted = data.versions.find((v) => v.status === 'promoted');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Understudy report</title>
<style>
  body { font: 14px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1.5em; }
  h1 { font-size: 1.6em; margin-bottom: 0.2em; }
  h2 { font-size: 1.2em; margin: 1.6em 0 0.3em; }
  .meta, .caption, .files, .empty { color: #555; }
  .files { font-size: 0.85em; }
  .empty { font-style: italic; padding: 1em; background: #f6f6f6; border-radius: 4px; }
  figure { margin: 0.5em 0; overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
  th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.5em; text-align: left; vertical-align: top; }
  th { background: #f4f4f4; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .promoted { font-weight: bold; color: #1a7f37; }
  .rejected { color: #a33; }
  .headline { background: #f3f8f3; border-left: 4px solid #1a7f37; padding: 0.6em 1em; }
</style>
</head>
<body>
<h1>Understudy report</h1>
<p class="meta">Generated ${esc(new Date(data.generatedAt).toISOString().replace('T', ' ').slice(0, 16))} UTC for ${esc(data.accounts.join(', ') || 'no synced account')}. Everything here comes from your local store; nothing was sent anywhere to make it.</p>
${headline(promoted)}
${take('routes')}
<section id="versions">
  <h2>Versions</h2>
  <p class="caption">Each trained version against the prompted route on the same held-out messages (loss of your real replies, lower is better; chrF, higher is better; style: greeting, sign-off and language as you write them), and why it was or was not promoted.</p>
  ${versionsTable(data.versions)}
</section>
${take('training-curves')}
${take('drafts-per-week')}
${take('no-draft')}
<h2 style="margin-top:2em">The dataset</h2>
${[...byName.values()].map(section).join('\n')}
</body>
</html>
`;
}

function headline(promoted: VersionRow | undefined): string {
  if (!promoted)
    return '<p class="headline">No trained version is promoted: drafts are written by the base model prompted with a few of your past replies (the cold start).</p>';
  const t = promoted.routes.candidate;
  const p = promoted.routes.prompted;
  if (!t || !p || t.loss === null || p.loss === null)
    return `<p class="headline">Version ${promoted.id} writes your drafts.</p>`;
  return `<p class="headline">Version ${promoted.id} writes your drafts. On ${t.samples} held-out messages it beats prompting the base model with your past replies: chrF ${fix(p.chrf, 1)} → <b>${fix(t.chrf, 1)}</b> (${signed(t.chrf - p.chrf, 1)}), loss of your real replies ${fix(p.loss, 3)} → <b>${fix(t.loss, 3)}</b>, style ${pct(p.style)} → <b>${pct(t.style)}</b>.</p>`;
}

function versionsTable(versions: readonly VersionRow[]): string {
  if (!versions.length) return '<p class="empty">No version trained yet: run understudy train.</p>';
  const cells = (s: RouteSummary | undefined) =>
    s?.samples
      ? `<td class="num">${s.loss === null ? '–' : fix(s.loss, 3)}</td><td class="num">${fix(s.chrf, 1)}</td><td class="num">${pct(s.style)}</td>`
      : '<td class="num">–</td><td class="num">–</td><td class="num">–</td>';
  const rows = versions
    .slice()
    .reverse()
    .map((v) => {
      const legacy = !v.routes.candidate;
      const tuned: RouteSummary | undefined =
        v.routes.candidate ??
        (v.legacy.chrf !== null
          ? {
              samples: 1,
              chrf: v.legacy.chrf,
              style: v.legacy.style ?? 0,
              loss: v.legacy.evalLoss,
              greeting: 0,
              signOff: 0,
              language: 0,
              lengthRatio: 0,
              lossTokens: 0,
            }
          : undefined);
      const why = v.decision ?? (legacy ? 'trained before route evaluation (no prompted-route comparison stored)' : '');
      const vs =
        v.routes.current && v.comparedWith !== null ? `v${v.comparedWith}: chrF ${fix(v.routes.current.chrf, 1)}` : '–';
      return `<tr><td>v${v.id}</td><td class="num">${esc(new Date(v.createdAt).toISOString().slice(0, 10))}</td><td class="${v.status}">${esc(v.status)}</td>${cells(v.routes.prompted)}${cells(tuned)}<td>${esc(vs)}</td><td>${esc(why)}</td></tr>`;
    })
    .join('\n');
  return `<table>
  <thead>
    <tr><th rowspan="2">version</th><th rowspan="2">trained</th><th rowspan="2">status</th><th colspan="3">prompted route</th><th colspan="3">tuned version</th><th rowspan="2">promoted one then</th><th rowspan="2">decision</th></tr>
    <tr><th>loss</th><th>chrF</th><th>style</th><th>loss</th><th>chrF</th><th>style</th></tr>
  </thead>
  <tbody>
${rows}
  </tbody>
</table>`;
}

function fix(x: number, digits: number): string {
  return x.toFixed(digits);
}

function signed(x: number, digits: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Text for HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
