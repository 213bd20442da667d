// `understudy report`: the data from the store, the charts as SVG and PNG files, and the page
// that holds them all (index.html), written into one folder.
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { type Db, ensurePrivateDir } from '../store/db.js';
import { renderCharts, svgToPng } from './charts.js';
import { type ReportData, reportData } from './data.js';
import { reportHtml } from './html.js';

export interface ReportResult {
  dir: string;
  /** The page to open. */
  html: string;
  /** Every chart file written (SVG and PNG), and the charts left out for want of data. */
  charts: { name: string; svg: string | null; png: string | null; empty: string | null }[];
  data: ReportData;
}

/**
 * Writes the report into `dir` (created 0700 if missing): index.html plus <chart>.svg and
 * <chart>.png. Files are written beside and renamed into place, so an open page never reads half
 * a file. Throws the file system's error (EACCES, EROFS, ENOSPC) when `dir` cannot be written.
 */
export async function writeReport(db: Db, config: Config, dir: string, now = Date.now()): Promise<ReportResult> {
  // Not mkdirSync(recursive): under /proc it never returns. A folder we make is private (0700);
  // one the user already has is left as it is.
  if (!existsSync(dir)) ensurePrivateDir(dir);
  else if (!statSync(dir).isDirectory())
    throw Object.assign(new Error(`ENOTDIR: not a directory: ${dir}`), { code: 'ENOTDIR', path: dir });
  const data = reportData(db, config, now);
  const charts = await renderCharts(data);
  const out: ReportResult['charts'] = [];
  for (const c of charts) {
    if (!c.svg) {
      out.push({ name: c.name, svg: null, png: null, empty: c.empty });
      continue;
    }
    const svg = join(dir, `${c.name}.svg`);
    const png = join(dir, `${c.name}.png`);
    put(svg, c.svg);
    put(png, await svgToPng(c.svg));
    out.push({ name: c.name, svg, png, empty: null });
  }
  const html = join(dir, 'index.html');
  put(html, reportHtml(data, charts));
  return { dir, html, charts: out, data };
}

function put(file: string, content: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, file);
}
