// The measurements every scenario is made of: connect a batch of clients, run an
// open-loop publish schedule and collect what arrived, with server CPU from /proc.
import { Histogram } from './histogram.mjs';
import { cpuSeconds } from './proc.mjs';
import { nowUs } from './schedule.mjs';

const PERCENTILES = [50, 75, 90, 95, 99, 99.9, 99.99, 100];
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const cpuOf = (pids) => sum(pids.map(cpuSeconds));
const cpuUs = (u) => u.user + u.system;
const split = (n, k) => Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));

export class Clients {
  constructor(loadgens, { jwtSecret, concurrency }) {
    this.loadgens = loadgens;
    this.jwtSecret = jwtSecret;
    this.concurrency = concurrency;
    this.nextIndex = 0;
  }

  /** Connects `count` more clients to target (proto, path, port), spread over the load generators. */
  /** `extra` goes to the load generators as is (the channel scenario: channelPrefix, channelCount). */
  async connect(target, count, port = target.port, extra = {}) {
    const per = split(count, this.loadgens.length);
    const started = nowUs();
    const replies = await Promise.all(
      this.loadgens.map((lg, i) => {
        if (per[i] === 0) return null;
        const startIndex = this.nextIndex;
        this.nextIndex += per[i];
        const { proto, path } = target;
        const o = { cmd: 'connect', proto, path, host: '127.0.0.1', port, count: per[i], startIndex, concurrency: this.concurrency, localAddress: lg.localAddress, jwtSecret: this.jwtSecret, ...extra };
        return lg.request(o);
      }),
    );
    const elapsed = (nowUs() - started) / 1e6;
    const hist = new Histogram();
    const errors = {};
    let ok = 0;
    let failed = 0;
    for (const r of replies.filter(Boolean)) {
      hist.merge(r.hist);
      ok += r.ok;
      failed += r.failed;
      for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    }
    return { ok, failed, errors, connectRate: ok / elapsed, handshakeP50Ms: hist.percentile(50) / 1000, handshakeP99Ms: hist.percentile(99) / 1000 };
  }

  async close() {
    await Promise.all(this.loadgens.map((lg) => lg.request({ cmd: 'close' })));
    this.nextIndex = 0;
  }

  pause(fraction) {
    return Promise.all(this.loadgens.map((lg) => lg.request({ cmd: 'pause', fraction })));
  }

  /** Resumes the paused clients; resolves with how many of them the server had closed. */
  async resume() {
    const replies = await Promise.all(this.loadgens.map((lg) => lg.request({ cmd: 'resume' })));
    return sum(replies.map((r) => r.closed));
  }

  /**
   * Runs one publish schedule (`start(startAt)` kicks it off) and waits until every
   * expected delivery arrived or nothing moved for `quietMs` after the last one was due.
   * `cpuPids` are the server-side processes whose CPU the deliveries are charged to.
   */
  async measure({ rate, count, dedupe = true, perReceiver = true, perPublish = 1, cpuPids, start, quietMs = 3000, onSample }) {
    const resets = await Promise.all(this.loadgens.map((lg) => lg.request({ cmd: 'reset', seqCount: dedupe ? count : 0, dedupe })));
    const receivers = sum(resets.map((r) => r.openReading));
    const startAt = nowUs() + 200_000;
    const cpu0 = cpuOf(cpuPids);
    const published = start(startAt);
    const lastDue = startAt + ((count - 1) / rate) * 1e6;
    let expected = perReceiver ? receivers * count : count * perPublish;
    let received = 0;
    let lastProgress = nowUs();
    let doneAt = nowUs();
    let publishResult;
    published.then((r) => {
      publishResult = r;
      if (!perReceiver) expected = (r.accepted ?? count) * perPublish;
    });
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      onSample?.();
      const now = nowUs();
      const got = sum((await Promise.all(this.loadgens.map((lg) => lg.request({ cmd: 'count' })))).map((r) => r.received));
      if (got > received) [received, lastProgress, doneAt] = [got, now, now];
      if (publishResult && received >= expected) break;
      if (now > lastDue && now - Math.max(lastProgress, lastDue) > quietMs * 1000) break;
    }
    const cpu1 = cpuOf(cpuPids);
    await published;
    const reports = await Promise.all(this.loadgens.map((lg) => lg.request({ cmd: 'report' })));
    const hist = new Histogram();
    const last = new Float64Array(dedupe ? count : 0);
    let clientCpuUs = 0;
    for (const [i, r] of reports.entries()) {
      hist.merge(r.hist);
      r.lastBySeq.forEach((v, s) => (last[s] = Math.max(last[s], v)));
      clientCpuUs += cpuUs(r.cpu) - cpuUs(resets[i].cpu);
    }
    received = sum(reports.map((r) => r.received));
    const wall = (doneAt - startAt) / 1e6;
    const serverCpu = cpu1 - cpu0;
    const lastSorted = Array.from(last).filter((v) => v > 0).sort((a, b) => a - b);
    return {
      receivers,
      expected,
      received,
      lost: Math.max(0, expected - received),
      dups: sum(reports.map((r) => r.dups)),
      publish: publishResult,
      deliveriesPerSec: received / wall,
      deliveriesPerCpuSec: serverCpu > 0 ? received / serverCpu : NaN,
      serverCpuPct: (serverCpu / wall) * 100,
      clientCpuPct: (clientCpuUs / 1e6 / wall) * 100,
      p50Ms: hist.percentile(50) / 1000,
      p99Ms: hist.percentile(99) / 1000,
      p999Ms: hist.percentile(99.9) / 1000,
      lastClientMs: lastSorted.length ? lastSorted[lastSorted.length >> 1] / 1000 : NaN,
      percentiles: PERCENTILES.map((p) => [p, hist.percentile(p) / 1000]),
    };
  }
}
