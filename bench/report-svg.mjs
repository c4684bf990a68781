// Hand-written SVG charts for bench/report.mjs (no dependencies). Each chart function
// returns a complete standalone <svg> string with an explicit width/height.
const FONT = 'DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif';
const HERALD_COLORS = ['#d62728', '#ff7f0e', '#8c564b', '#e377c2', '#bcbd22']; // warm: Herald
const BASE_COLORS = ['#1f77b4', '#2ca02c', '#9467bd', '#17becf', '#7f7f7f', '#393b79']; // cool: baselines

export const isHerald = (server) => String(server).startsWith('herald');

/** Stable server → colour map (same colour for a server in every chart). */
export function colorMap(servers) {
  const map = new Map();
  let h = 0;
  let b = 0;
  for (const s of [...new Set(servers)].sort()) {
    map.set(s, isHerald(s) ? HERALD_COLORS[h++ % HERALD_COLORS.length] : BASE_COLORS[b++ % BASE_COLORS.length]);
  }
  return map;
}

/** 3 significant digits, thousands separators; '—' for missing. */
export function fmtNum(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const r = Number(v.toPrecision(3));
  if (Math.abs(r) >= 1000) return Math.round(r).toLocaleString('en-US');
  if (Math.abs(r) < 1e-4) return v.toExponential(2);
  return String(r);
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const n1 = (v) => Math.round(v * 10) / 10;
const text = (x, y, s, attrs = '') => `<text x="${n1(x)}" y="${n1(y)}" ${attrs}>${esc(s)}</text>`;
const line = (x1, y1, x2, y2, attrs) => `<line x1="${n1(x1)}" y1="${n1(y1)}" x2="${n1(x2)}" y2="${n1(y2)}" ${attrs}/>`;

function frame(w, h, title, subtitle, body) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="${FONT}" font-size="13" fill="#222">
<rect width="${w}" height="${h}" fill="#fff"/>
${text(w / 2, 26, title, 'text-anchor="middle" font-size="17" font-weight="bold"')}
${subtitle ? text(w / 2, 45, subtitle, 'text-anchor="middle" font-size="12" fill="#555"') : ''}
${body}
</svg>`;
}

function niceStep(range, count) {
  const raw = range / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}
/** Linear ticks 0..≥max. */
function linTicks(max, count = 5) {
  if (!(max > 0)) max = 1;
  const st = niceStep(max, count);
  const ticks = [];
  for (let i = 0; i * st < max + st * 0.999 && ticks.length < 30; i++) ticks.push(Number((i * st).toPrecision(12)));
  return ticks;
}
/** Log ticks (1-2-5 per decade, or decades only when the span is wide) covering [lo, hi]. */
function logTicks(lo, hi) {
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const mult = e1 - e0 > 3 ? [1] : [1, 2, 5];
  const ticks = [];
  for (let e = e0; e <= e1; e++) for (const m of mult) ticks.push(Number((m * 10 ** e).toPrecision(6)));
  return ticks.filter((t) => t >= 10 ** e0 && t <= 10 ** e1);
}

function legend(x, y, entries, colors) {
  return entries
    .map(({ server, label }, i) => {
      const yy = y + i * 22;
      return `${line(x, yy, x + 24, yy, `stroke="${colors.get(server)}" stroke-width="3"`)}${text(x + 31, yy + 4.5, label ?? server, isHerald(server) ? 'font-weight="bold"' : '')}`;
    })
    .join('\n');
}

/**
 * HdrHistogram-style percentile plot. entries: [{ server, percentiles: [[p%, ms], ...] }].
 * x = log10(1/(1-p)); p = 100 is drawn one decade right of the last finite percentile ("max").
 */
export function latencySvg(entries, { title, subtitle, colors }) {
  const W = 960, H = 500, m = { l: 78, r: 250, t: 62, b: 64 };
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const xOf = (p) => Math.log10(1 / (1 - p / 100));
  const pts = entries.map((e) => ({
    server: e.server,
    pts: (e.percentiles ?? []).filter(([p, v]) => Number.isFinite(p) && Number.isFinite(v) && p >= 0 && p <= 100).sort((a, b) => a[0] - b[0]),
  }));
  const all = pts.flatMap((e) => e.pts);
  let maxDec = 4;
  for (const [p] of all) if (p < 100) maxDec = Math.max(maxDec, Math.ceil(xOf(p) - 1e-9));
  const hasMax = all.some(([p]) => p >= 100);
  const xDom = hasMax ? maxDec + 1 : maxDec;
  const X = (p) => m.l + ((p >= 100 ? xDom : Math.max(0, xOf(p))) / xDom) * pw;
  const vals = all.map(([, v]) => v);
  const pos = vals.filter((v) => v > 0);
  const logY = pos.length > 0 && Math.max(...pos) / Math.min(...pos) > 30;
  let Y, yTicks;
  if (logY) {
    yTicks = logTicks(Math.min(...pos), Math.max(...pos));
    const lo = Math.log10(yTicks[0]), hi = Math.log10(yTicks.at(-1));
    Y = (v) => m.t + ph - ((Math.log10(Math.max(v, yTicks[0])) - lo) / (hi - lo || 1)) * ph;
  } else {
    yTicks = linTicks(Math.max(0, ...vals));
    Y = (v) => m.t + ph - (v / yTicks.at(-1)) * ph;
  }
  const xTicks = [[50, '50%']];
  for (let d = 1; d <= maxDec; d++) xTicks.push([100 - 10 ** (2 - d), `${(100 - 10 ** (2 - d)).toFixed(Math.max(0, d - 2))}%`]);
  if (hasMax) xTicks.push([100, 'max']);
  const parts = [];
  for (const [p, lab] of xTicks) {
    parts.push(line(X(p), m.t, X(p), m.t + ph, 'stroke="#e3e3e3"'), text(X(p), m.t + ph + 19, lab, 'text-anchor="middle"'));
  }
  for (const t of yTicks) parts.push(line(m.l, Y(t), m.l + pw, Y(t), 'stroke="#e3e3e3"'), text(m.l - 8, Y(t) + 4.5, fmtNum(t), 'text-anchor="end"'));
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  parts.push(text(m.l + pw / 2, H - 16, 'percentile (log scale of 1/(1−p))', 'text-anchor="middle"'));
  parts.push(text(20, m.t + ph / 2, `latency, ms${logY ? ' (log scale)' : ''}`, `text-anchor="middle" transform="rotate(-90 20 ${m.t + ph / 2})"`));
  for (const e of pts) {
    const c = colors.get(e.server);
    const d = e.pts.map(([p, v]) => `${n1(X(p))},${n1(Y(v))}`).join(' ');
    parts.push(`<polyline points="${d}" fill="none" stroke="${c}" stroke-width="${isHerald(e.server) ? 3 : 2}" stroke-linejoin="round"/>`);
    for (const [p, v] of e.pts) parts.push(`<circle cx="${n1(X(p))}" cy="${n1(Y(v))}" r="3.5" fill="${c}"><title>${esc(`${e.server} p${p}: ${fmtNum(v)} ms`)}</title></circle>`);
  }
  const p99 = (e) => e.pts.find(([p]) => p === 99)?.[1];
  parts.push(legend(m.l + pw + 22, m.t + 12, pts.map((e) => ({ server: e.server, label: p99(e) !== undefined ? `${e.server}  (p99 ${fmtNum(p99(e))} ms)` : e.server })), colors));
  return frame(W, H, title, subtitle, parts.join('\n'));
}

/** Horizontal bars of medians with min–max whiskers. items: [{ server, median, min, max }]. */
export function barsSvg(items, { title, subtitle, xLabel, colors }) {
  const rows = items.filter((i) => Number.isFinite(i.median)).sort((a, b) => b.median - a.median);
  const W = 960, m = { l: 150, r: 120, t: 62, b: 62 }, rowH = 40, barH = 24;
  const H = m.t + m.b + rows.length * rowH + 8;
  const pw = W - m.l - m.r, ph = rows.length * rowH + 8;
  const ticks = linTicks(Math.max(0, ...rows.map((r) => (Number.isFinite(r.max) ? r.max : r.median))));
  const X = (v) => m.l + (v / ticks.at(-1)) * pw;
  const parts = [];
  for (const t of ticks) parts.push(line(X(t), m.t, X(t), m.t + ph, 'stroke="#e3e3e3"'), text(X(t), m.t + ph + 19, fmtNum(t), 'text-anchor="middle"'));
  rows.forEach((r, i) => {
    const yc = m.t + 4 + i * rowH + rowH / 2;
    const bold = isHerald(r.server) ? 'font-weight="bold"' : '';
    parts.push(text(m.l - 10, yc + 4.5, r.server, `text-anchor="end" ${bold}`));
    parts.push(`<rect x="${m.l}" y="${n1(yc - barH / 2)}" width="${n1(Math.max(0, X(r.median) - m.l))}" height="${barH}" fill="${colors.get(r.server)}" fill-opacity="0.85"/>`);
    let end = X(r.median);
    if (Number.isFinite(r.min) && Number.isFinite(r.max) && r.max > r.min) {
      const w = 'stroke="#222" stroke-width="1.6"';
      parts.push(line(X(r.min), yc, X(r.max), yc, w), line(X(r.min), yc - 7, X(r.min), yc + 7, w), line(X(r.max), yc - 7, X(r.max), yc + 7, w));
      end = Math.max(end, X(r.max));
    }
    parts.push(text(end + 8, yc + 4.5, fmtNum(r.median), bold));
  });
  parts.push(line(m.l, m.t, m.l, m.t + ph, 'stroke="#888"'));
  parts.push(text(m.l + pw / 2, H - 16, xLabel, 'text-anchor="middle"'));
  return frame(W, H, title, subtitle, parts.join('\n'));
}

/**
 * Small multiples: one panel per metric, x = variant (categorical), one line per server,
 * min–max error bars. panels: [{ metric, unit, better, categories, series: [{ server, points: [{ i, median, min, max }] }] }].
 */
export function panelsSvg(panels, { title, subtitle, colors }) {
  const cols = panels.length > 1 ? 2 : 1, pw0 = 470, ph0 = 320;
  const servers = [...new Set(panels.flatMap((p) => p.series.map((s) => s.server)))];
  const legendH = Math.ceil(servers.length / 4) * 22 + 8;
  const W = cols * pw0 + 20, top = 58 + legendH;
  const H = top + Math.ceil(panels.length / cols) * ph0 + 10;
  const parts = [];
  servers.forEach((s, i) => parts.push(legend(30 + (i % 4) * 230, 66 + Math.floor(i / 4) * 22, [{ server: s }], colors)));
  panels.forEach((pan, k) => {
    const ox = 10 + (k % cols) * pw0, oy = top + Math.floor(k / cols) * ph0;
    const m = { l: 72, r: 16, t: 28, b: 78 }, pw = pw0 - m.l - m.r, ph = ph0 - m.t - m.b;
    const n = pan.categories.length;
    const X = (i) => ox + m.l + (n === 1 ? pw / 2 : (i / (n - 1)) * (pw - 40) + 20);
    const pts = pan.series.flatMap((s) => s.points);
    const ticks = linTicks(Math.max(0, ...pts.map((p) => (Number.isFinite(p.max) ? p.max : p.median)).filter(Number.isFinite)));
    const Y = (v) => oy + m.t + ph - (v / ticks.at(-1)) * ph;
    const arrow = pan.better === 'higher' ? ' ↑ better' : pan.better === 'lower' ? ' ↓ better' : '';
    parts.push(text(ox + m.l + pw / 2, oy + 16, `${pan.metric}${pan.unit ? ` (${pan.unit})` : ''}${arrow}`, 'text-anchor="middle" font-weight="bold"'));
    for (const t of ticks) parts.push(line(ox + m.l, Y(t), ox + m.l + pw, Y(t), 'stroke="#e3e3e3"'), text(ox + m.l - 6, Y(t) + 4, fmtNum(t), 'text-anchor="end" font-size="11"'));
    pan.categories.forEach((c, i) => {
      const x = X(i), y = oy + m.t + ph + 14;
      parts.push(text(x, y, c, n > 3 ? `text-anchor="end" font-size="11" transform="rotate(-30 ${n1(x)} ${n1(y)})"` : 'text-anchor="middle" font-size="11"'));
    });
    parts.push(`<rect x="${ox + m.l}" y="${oy + m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
    for (const s of pan.series) {
      const c = colors.get(s.server);
      const ok = s.points.filter((p) => Number.isFinite(p.median));
      parts.push(`<polyline points="${ok.map((p) => `${n1(X(p.i))},${n1(Y(p.median))}`).join(' ')}" fill="none" stroke="${c}" stroke-width="${isHerald(s.server) ? 3 : 2}"/>`);
      for (const p of ok) {
        if (Number.isFinite(p.min) && Number.isFinite(p.max) && p.max > p.min) parts.push(line(X(p.i), Y(p.min), X(p.i), Y(p.max), `stroke="${c}" stroke-width="1.5"`));
        parts.push(`<circle cx="${n1(X(p.i))}" cy="${n1(Y(p.median))}" r="3.5" fill="${c}"><title>${esc(`${s.server} ${pan.categories[p.i]}: ${fmtNum(p.median)}`)}</title></circle>`);
      }
    }
  });
  return frame(W, H, title, subtitle, parts.join('\n'));
}
