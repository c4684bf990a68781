// Collects every run's figures in the shape bench/report.mjs reads.
import { median } from './histogram.mjs';

const META = {
  deliveriesPerCpuSec: ['/CPU-s', 'higher'],
  deliveriesPerSec: ['/s', 'higher'],
  maxDeliveriesPerSec: ['/s', 'higher'],
  connectRate: ['/s', 'higher'],
  rssPerConnKiB: ['KiB', 'lower'],
  heapPerConnKiB: ['KiB', 'lower'],
  lost: ['count', 'lower'],
  slowCut: ['count', 'higher'],
  peakRssGrowthMiB: ['MiB', 'lower'],
  serverCpuPct: ['%', 'lower'],
  clientCpuPct: ['%', 'lower'],
  cpuPerDeliveryVsSingle: ['×', 'lower'],
  ratePerSec: ['/s', 'higher'],
  notificationsPerSec: ['/s', 'higher'],
  answeredPct: ['%', 'higher'],
  serverCpuUsPerReq: ['µs', 'lower'],
  serverCpuUsPerNotification: ['µs', 'lower'],
  serverCpuMsPerConnect: ['ms', 'lower'],
  allConnectedSec: ['s', 'lower'],
  failed: ['count', 'lower'],
};

export class Recorder {
  metrics = new Map();
  latencies = new Map();
  issues = [];

  metric(scenario, variant, server, metric, value) {
    const key = `${scenario}|${variant}|${server}|${metric}`;
    const [unit, better] = META[metric] ?? (metric.endsWith('Ms') ? ['ms', 'lower'] : ['', 'lower']);
    if (!this.metrics.has(key)) this.metrics.set(key, { scenario, variant, server, metric, unit, better, runs: [] });
    this.metrics.get(key).runs.push(Number.isFinite(value) ? Number(value.toPrecision(6)) : null);
  }

  /** Records the named fields of a measurement, plus its latency distribution. */
  measurement(scenario, variant, server, m, fields) {
    for (const f of fields) this.metric(scenario, variant, server, f, m[f]);
    if (m.percentiles) {
      const key = `${scenario}|${variant}|${server}`;
      if (!this.latencies.has(key)) this.latencies.set(key, { scenario, variant, server, all: [] });
      this.latencies.get(key).all.push(m.percentiles);
    }
  }

  problem(text) {
    this.issues.push(text);
    console.log(`  PROBLEM: ${text}`);
  }

  problems() {
    return this.issues;
  }

  toJSON() {
    const latency = [...this.latencies.values()].map(({ all, ...rest }) => {
      const p99 = (ps) => ps.find(([p]) => p === 99)[1];
      const mid = median(all.map(p99));
      const chosen = all.reduce((best, ps) => (Math.abs(p99(ps) - mid) < Math.abs(p99(best) - mid) ? ps : best));
      return { ...rest, percentiles: chosen };
    });
    return { metrics: [...this.metrics.values()], latency, problems: this.issues };
  }
}
