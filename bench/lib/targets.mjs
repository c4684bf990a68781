// Issue #6's targets, checked against the medians of a run: Herald ÷ baseline per metric.
const TARGETS = [
  { scenario: 'fanout', metric: 'deliveriesPerCpuSec', vs: 'ws-naive', want: '>=', bound: 1.3, what: 'deliveries per server CPU-second vs the naive ws loop' },
  { scenario: 'fanout', metric: 'deliveriesPerCpuSec', vs: 'socketio', want: '>=', bound: 1.5, what: 'deliveries per server CPU-second vs Socket.IO' },
  { scenario: 'fanout', metric: 'p99Ms', vs: 'ws-frame-once', want: '<=', bound: 1.2, what: 'p99 latency vs the frame-once ws server' },
  { scenario: 'connect', metric: 'heapPerConnKiB', vs: 'ws-naive', want: '<=', bound: 1.5, what: 'idle heap per authenticated connection vs bare ws', largest: true },
  { scenario: 'connect', metric: 'rssPerConnKiB', vs: 'ws-naive', want: '<=', bound: 1.5, what: 'idle RSS per authenticated connection vs bare ws', largest: true },
];

const sizeOf = (variant) => Number(/N=(\d+)/.exec(variant)?.[1] ?? 0);

/** One line per target and Herald variant: ratio, bound and whether it holds. */
export function checkTargets(rows) {
  const out = [];
  for (const t of TARGETS) {
    let variants = [...new Set(rows.filter((r) => r.scenario === t.scenario && r.metric === t.metric).map((r) => r.variant))];
    if (t.largest && variants.length) variants = [variants.reduce((a, b) => (sizeOf(b) > sizeOf(a) ? b : a))];
    for (const variant of variants) {
      const group = rows.filter((r) => r.scenario === t.scenario && r.metric === t.metric && r.variant === variant);
      const base = group.find((r) => r.server === t.vs);
      if (!base) continue;
      for (const h of group.filter((r) => r.server.startsWith('herald'))) {
        const ratio = h.median / base.median;
        const met = ratio > 0 && (t.want === '>=' ? ratio >= t.bound : ratio <= t.bound);
        out.push({ ...t, variant, server: h.server, herald: h.median, baseline: base.median, ratio, met });
      }
    }
  }
  return out;
}

export function targetsMarkdown(checks) {
  if (!checks.length) return '';
  const lines = ['| target | variant | Herald | ratio | bound | met |', '| --- | --- | --- | ---: | ---: | :---: |'];
  for (const c of checks) lines.push(`| ${c.what} | ${c.variant} | ${c.server} | ${c.ratio.toFixed(2)}× | ${c.want} ${c.bound}× | ${c.met ? '✓' : '✗'} |`);
  return lines.join('\n');
}
