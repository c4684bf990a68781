// Issue #6's targets, checked against the medians of a run: Herald ÷ baseline per metric.
const TARGETS = [
  { scenario: 'fanout', metric: 'deliveriesPerCpuSec', vs: 'ws-naive', want: '>=', bound: 1.3, what: 'deliveries per server CPU-second vs the naive ws loop' },
  { scenario: 'fanout', metric: 'deliveriesPerCpuSec', vs: 'socketio', want: '>=', bound: 1.5, what: 'deliveries per server CPU-second vs Socket.IO' },
  { scenario: 'fanout', metric: 'p99Ms', vs: 'ws-frame-once', want: '<=', bound: 1.2, what: 'p99 latency vs the frame-once ws server' },
  { scenario: 'connect', metric: 'heapPerConnKiB', vs: 'ws-naive', want: '<=', bound: 1.5, what: 'idle heap per authenticated connection vs bare ws', largest: true },
  { scenario: 'connect', metric: 'rssPerConnKiB', vs: 'ws-naive', want: '<=', bound: 1.5, what: 'idle RSS per authenticated connection vs bare ws', largest: true },
  // issue #10: the REST path and connects at Node's speed
  { scenario: 'http', metric: 'ratePerSec', vs: 'bare-fastify', want: '>=', bound: 0.5, what: 'REST requests/s vs the bare Fastify route (notify, ticket)', only: /^(notify|ticket)/ },
  { scenario: 'http-open', metric: 'p99Ms', want: '<=', bound: 10, what: 'POST /notifications p99 at 2,000/s offered (ms)', only: /at 2000\//, absolute: true },
  { scenario: 'http-open', metric: 'answeredPct', want: '>=', bound: 100, what: 'POST /notifications answered 202 at 2,000/s offered (%)', only: /at 2000\//, absolute: true },
  { scenario: 'storm', metric: 'connectRate', vs: 'ws-naive', want: '>=', bound: 0.4, what: 'full connects/s (ticket, upgrade, auth) vs bare ws handshakes' },
  { scenario: 'storm', metric: 'allConnectedSec', want: '<=', bound: 5, what: '10k clients reconnecting, all authenticated (s)', only: /N=10000/, absolute: true },
  { scenario: 'batch', metric: 'notificationsPerSec', want: '>=', bound: 50_000, what: 'batch notifications/s, memory mode', absolute: true, servers: ['herald'] },
  { scenario: 'batch', metric: 'notificationsPerSec', want: '>=', bound: 20_000, what: 'batch notifications/s on Redis', absolute: true, servers: ['herald-redis'] },
];

const sizeOf = (variant) => Number(/N=(\d+)/.exec(variant)?.[1] ?? 0);

/** One line per target and Herald variant: ratio, bound and whether it holds. */
export function checkTargets(rows) {
  const out = [];
  for (const t of TARGETS) {
    let variants = [...new Set(rows.filter((r) => r.scenario === t.scenario && r.metric === t.metric && (!t.only || t.only.test(r.variant))).map((r) => r.variant))];
    if (t.largest && variants.length) variants = [variants.reduce((a, b) => (sizeOf(b) > sizeOf(a) ? b : a))];
    for (const variant of variants) {
      const group = rows.filter((r) => r.scenario === t.scenario && r.metric === t.metric && r.variant === variant);
      if (t.absolute) {
        for (const h of group.filter((r) => (t.servers ? t.servers.includes(r.server) : r.server === 'herald'))) {
          const met = t.want === '>=' ? h.median >= t.bound : h.median <= t.bound;
          out.push({ ...t, variant, server: h.server, herald: h.median, baseline: null, ratio: h.median, met });
        }
        continue;
      }
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
  const lines = ['| target | variant | Herald | ratio or value | bound | met |', '| --- | --- | --- | ---: | ---: | :---: |'];
  const fmt = (c, v) => (c.absolute ? `${Number(v.toPrecision(3)).toLocaleString('en-US')}` : `${v.toFixed(2)}×`);
  for (const c of checks) lines.push(`| ${c.what} | ${c.variant} | ${c.server} | ${fmt(c, c.ratio)} | ${c.want} ${fmt(c, c.bound)} | ${c.met ? '✓' : '✗'} |`);
  return lines.join('\n');
}
