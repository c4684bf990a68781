// Benchmark report: summary table (markdown + JSON rows) and SVG/PNG charts.
//   import { summarize, writeReport } from './report.mjs'
//   node bench/report.mjs [bench/results/latest.json]   → prints the markdown, rewrites charts next to the file
import { mkdir, writeFile, readFile, copyFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtNum, isHerald, colorMap, latencySvg, barsSvg, panelsSvg } from './report-svg.mjs';

const BASELINE_ORDER = ['ws-naive', 'ws-frame-once', 'socketio', 'uws'];
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

const finite = (runs) => (Array.isArray(runs) ? runs : [runs]).filter((v) => v !== null && v !== '' && typeof v !== 'boolean' && Number.isFinite(Number(v))).map(Number);
function stats(values) {
  if (!values.length) return { n: 0, median: null, min: null, max: null };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { n: s.length, median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s.at(-1) };
}
const orderServers = (servers) => {
  const rank = (s) => (isHerald(s) ? -1 : BASELINE_ORDER.includes(s) ? BASELINE_ORDER.indexOf(s) : BASELINE_ORDER.length);
  return [...servers].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
};
function fmtRatio(r) {
  if (r === null) return '—';
  if (!Number.isFinite(r)) return '∞×';
  return `${r >= 100 ? fmtNum(r) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}
/** Herald ÷ baseline on medians; heraldBetter is true when Herald is better or equal given `better`. */
function compare(h, b, better) {
  if (h === null || b === null) return { ratio: null, heraldBetter: null, text: '—' };
  const ratio = b === 0 ? (h === 0 ? 1 : h > 0 ? Infinity : -Infinity) : h / b;
  const heraldBetter = better === 'higher' ? h >= b : better === 'lower' ? h <= b : null;
  return { ratio, heraldBetter, text: `${fmtRatio(ratio)}${heraldBetter === null ? '' : heraldBetter ? ' ✓' : ' ✗'}` };
}
const cell = (s) => String(s).replace(/\|/g, '\\|');

function heading(meta = {}) {
  const m = meta.machine ?? {};
  const mach = [m.cpuModel && `${m.cpuModel}${m.cpus ? ` × ${m.cpus}` : ''}`, !m.cpuModel && m.cpus && `${m.cpus} CPUs`, m.memGiB && `${fmtNum(Number(m.memGiB))} GiB RAM`, m.kernel, m.node && `Node ${m.node}`].filter(Boolean).join(', ');
  const vers = Object.entries(meta.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(' · ');
  const mode = [meta.quick ? 'quick' : null, meta.runs ? `${meta.runs} run${meta.runs === 1 ? '' : 's'}` : null].filter(Boolean).join(', ');
  const lines = [`## Herald benchmark — ${meta.startedAt ?? 'unknown date'}${mode ? ` (${mode})` : ''}${mach ? ` — ${mach}` : ''}`, ''];
  if (vers) lines.push(`Versions: ${vers}`, '');
  lines.push('Median / min–max over runs. Ratios are Herald ÷ baseline (medians); ✓ = Herald better or equal for that metric (↑ higher is better, ↓ lower is better), ✗ = worse.');
  for (const n of meta.notes ?? []) lines.push(`- ${n}`);
  return lines.join('\n');
}

/** Per (scenario, variant, metric, server): median/min/max of runs, plus Herald-vs-baseline ratios. */
export function summarize(results) {
  const groups = new Map();
  for (const m of results?.metrics ?? []) {
    const key = [m.scenario, m.variant ?? '', m.metric].join('\u0000');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { scenario: m.scenario, variant: m.variant ?? '', metric: m.metric, unit: m.unit ?? '', better: m.better ?? null, servers: new Map() }));
    g.servers.set(m.server, (g.servers.get(m.server) ?? []).concat(finite(m.runs)));
  }
  const rows = [];
  const tables = new Map(); // scenario+variant → { scenario, variant, groups: [{ g, rows }] }
  for (const g of groups.values()) {
    const servers = orderServers(g.servers.keys());
    const st = new Map(servers.map((s) => [s, stats(g.servers.get(s))]));
    const baselines = servers.filter((s) => !isHerald(s));
    const gRows = servers.map((server) => {
      const row = { scenario: g.scenario, variant: g.variant, metric: g.metric, unit: g.unit, better: g.better, server, herald: isHerald(server), ...st.get(server), ratios: {} };
      if (row.herald) for (const b of baselines) row.ratios[b] = compare(row.median, st.get(b).median, g.better);
      return row;
    });
    rows.push(...gRows);
    const tk = `${g.scenario}\u0000${g.variant}`;
    if (!tables.has(tk)) tables.set(tk, { scenario: g.scenario, variant: g.variant, groups: [] });
    tables.get(tk).groups.push({ g, rows: gRows });
  }
  const out = [heading(results?.meta)];
  for (const t of tables.values()) {
    const baselines = orderServers(new Set(t.groups.flatMap(({ rows: r }) => r.filter((x) => !x.herald).map((x) => x.server))));
    const cols = ['metric', 'server', 'median', 'min–max', ...baselines.map((b, i) => `${i ? '' : 'ratio '}vs ${b}`)];
    out.push('', `### ${t.scenario}${t.variant ? ` — ${t.variant}` : ''}`, '', `| ${cols.map(cell).join(' | ')} |`, `|${cols.map((c, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const { g, rows: gRows } of t.groups) {
      const arrow = g.better === 'higher' ? ' ↑' : g.better === 'lower' ? ' ↓' : '';
      gRows.forEach((r, i) => {
        const metric = i ? '' : `${g.metric}${g.unit ? ` (${g.unit})` : ''}${arrow}`;
        const range = r.n ? `${fmtNum(r.min)}–${fmtNum(r.max)}` : '—';
        const ratios = baselines.map((b) => (r.ratios[b] ? r.ratios[b].text : ''));
        out.push(`| ${[metric, r.herald ? `**${r.server}**` : r.server, fmtNum(r.median), range, ...ratios].map(cell).join(' | ')} |`);
      });
    }
  }
  return { rows, markdown: out.join('\n') };
}

const firstNum = (s) => Number((String(s).match(/-?\d+(\.\d+)?/) ?? [NaN])[0]);
function sortVariants(variants) {
  const v = [...new Set(variants)];
  return v.every((x) => Number.isFinite(firstNum(x))) ? v.sort((a, b) => firstNum(a) - firstNum(b)) : v;
}

/** Writes latency.svg / efficiency.svg / saturation.svg (what the data allows) and chart.png. Never throws. */
export async function writeCharts(results, dir, rows = summarize(results).rows) {
  await mkdir(dir, { recursive: true });
  const colors = colorMap([...(results?.metrics ?? []).map((m) => m.server), ...(results?.latency ?? []).map((l) => l.server)]);
  const sub = [results?.meta?.machine?.cpuModel, results?.meta?.startedAt].filter(Boolean).join(' · ');
  const charts = [];
  const chart = (name, build) => {
    try {
      const svg = build();
      if (svg) charts.push({ name, svg });
    } catch (e) {
      console.warn(`report: ${name} chart skipped: ${e?.stack ?? e}`);
    }
  };
  chart('latency', () => {
    const lat = (results?.latency ?? []).filter((l) => l.scenario === 'fanout');
    if (!lat.length) return null;
    const variant = lat[0].variant;
    return latencySvg(lat.filter((l) => l.variant === variant), { title: `Fan-out delivery latency by percentile${variant ? ` — ${variant}` : ''}`, subtitle: sub, colors });
  });
  chart('efficiency', () => {
    const eff = rows.filter((r) => r.scenario === 'fanout' && r.metric === 'deliveriesPerCpuSec' && r.n);
    if (!eff.length) return null;
    const variant = eff[0].variant;
    return barsSvg(eff.filter((r) => r.variant === variant), { title: `Fan-out efficiency: deliveries per CPU-second${variant ? ` — ${variant}` : ''}`, subtitle: `median, whiskers min–max; higher is better${sub ? ` · ${sub}` : ''}`, xLabel: 'deliveries per CPU-second (server CPU, user+system)', colors });
  });
  chart('saturation', () => {
    const sat = rows.filter((r) => r.scenario === 'saturation' && r.n);
    if (!sat.length) return null;
    const categories = sortVariants(sat.map((r) => r.variant));
    const prefer = ['deliveriesPerCpuSec', 'p99Ms', 'p50Ms', 'lost', 'p999Ms', 'lastClientMs'];
    const metrics = [...new Set(sat.map((r) => r.metric))].sort((a, b) => (prefer.indexOf(a) + 1 || 99) - (prefer.indexOf(b) + 1 || 99)).slice(0, 6);
    const panels = metrics.map((metric) => {
      const mr = sat.filter((r) => r.metric === metric);
      return {
        metric, unit: mr[0].unit, better: mr[0].better, categories,
        series: orderServers(new Set(mr.map((r) => r.server))).map((server) => ({
          server, points: mr.filter((r) => r.server === server).map((r) => ({ i: categories.indexOf(r.variant), median: r.median, min: r.min, max: r.max })).sort((a, b) => a.i - b.i),
        })),
      };
    });
    return panelsSvg(panels, { title: 'Saturation: metrics vs offered load', subtitle: `median, bars min–max${sub ? ` · ${sub}` : ''}`, colors });
  });
  const svgPaths = [];
  for (const c of charts) {
    const p = path.join(dir, `${c.name}.svg`);
    await writeFile(p, c.svg);
    svgPaths.push(p);
  }
  const png = charts.length ? await renderPng(charts.map((c) => c.svg), path.join(dir, 'chart.png')) : null;
  return { svgPaths, pngPaths: png ? [png] : [] };
}

async function renderPng(svgs, pngPath) {
  if (!existsSync(CHROMIUM)) return void console.warn(`report: ${CHROMIUM} not found; PNG skipped (SVGs written)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return void console.warn('report: playwright-core not installed; PNG skipped (SVGs written)');
  }
  const width = Math.max(...svgs.map((s) => Number(s.match(/width="(\d+)"/)?.[1] ?? 960))) + 32;
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await browser.newPage({ viewport: { width, height: 200 }, deviceScaleFactor: 1.5 });
    await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;padding:16px;background:#fff}svg{display:block;margin:0 auto 16px}</style></head><body>${svgs.join('\n')}</body></html>`);
    await page.screenshot({ path: pngPath, fullPage: true });
    return pngPath;
  } catch (e) {
    return void console.warn(`report: PNG render failed, skipped: ${e?.message ?? e}`);
  } finally {
    await browser?.close().catch(() => {});
  }
}

/** Writes <dir>/<timestamp>.json (+ latest.json copy), latest.md, the SVG charts and chart.png. */
export async function writeReport(results, dir) {
  await mkdir(dir, { recursive: true });
  const { rows, markdown } = summarize(results);
  const started = new Date(results?.meta?.startedAt ?? NaN);
  const stamp = (Number.isNaN(started.getTime()) ? new Date() : started).toISOString().replace(/[:.]/g, '-');
  const { summary: _old, ...rest } = results ?? {};
  const jsonPath = path.join(dir, `${stamp}.json`);
  await writeFile(jsonPath, `${JSON.stringify({ ...rest, summary: rows }, null, 2)}\n`);
  await copyFile(jsonPath, path.join(dir, 'latest.json'));
  const markdownPath = path.join(dir, 'latest.md');
  await writeFile(markdownPath, `${markdown}\n`);
  const { svgPaths, pngPaths } = await writeCharts(results, dir, rows);
  return { jsonPath, svgPaths, pngPaths, markdownPath };
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] && existsSync(process.argv[1]) && realpathSync(process.argv[1]) === realpathSync(self)) {
  const file = process.argv[2] ?? path.join(path.dirname(self), 'results', 'latest.json');
  const results = JSON.parse(await readFile(file, 'utf8'));
  const { rows, markdown } = summarize(results);
  console.log(markdown);
  const { svgPaths, pngPaths } = await writeCharts(results, path.dirname(file), rows);
  console.error(`report: wrote ${[...svgPaths, ...pngPaths].join(', ') || 'no charts (no fanout/saturation data)'}`);
}
