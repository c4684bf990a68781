// The five scenarios of the benchmark, for one server and one run.

const FANOUT = ['deliveriesPerCpuSec', 'p50Ms', 'p99Ms', 'p999Ms', 'lastClientMs', 'lost', 'serverCpuPct', 'clientCpuPct'];
const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let runId = 0;

/** The ways a scenario can publish to a server: in-process (IPC-triggered schedule) or Herald's REST API. */
function publishers(ctx, srv, port = srv.port) {
  const ipc = (o) => (startAt) => srv.child.request({ cmd: 'run', id: ++runId, ...o, startAt }, 'ran');
  const rest = (o, mode = 'broadcast') => (startAt) =>
    ctx.publisher.request({ cmd: 'run', id: ++runId, mode, target: { host: '127.0.0.1', port }, apiKey: ctx.secrets.BENCH_API_KEY, ...o, startAt }, 'ran');
  return srv.proto === 'herald' ? [['herald-direct', ipc], ['herald-rest', rest]] : [[srv.name, ipc]];
}

function checkPublish(ctx, label, m, count) {
  if (m.publish?.accepted !== undefined && m.publish.accepted < count) ctx.recorder.problem(`${label}: REST accepted ${m.publish.accepted} of ${count} (${JSON.stringify(m.publish.statuses)})`);
}

/** Scenarios 1–3 on one server: connect up to each N, fan out at N = fanoutN, targeted REST. */
async function main(ctx, name, run, on) {
  const { P, clients, recorder } = ctx;
  // sizes above the fan-out's are measured on a fresh server afterwards: traffic leaves history and buffers behind
  const traffic = ['fanout', 'saturation', 'rest'].some((s) => on.has(s));
  const srv = await ctx.startServer(name);
  try {
    // memory per connection is the slope between sizes (the first size: from the empty server), so what a
    // server allocates once (JIT code, caches, pools) is not charged to connections
    let prev = { ...(await srv.stats()), n: 0 };
    let connected = 0;
    const sizes = on.has('connect') ? P.connectNs.filter((n) => !traffic || n <= P.fanoutN) : [P.fanoutN];
    for (const N of sizes) {
      const batch = await clients.connect(srv, N - connected);
      if (batch.failed) recorder.problem(`${name}: ${batch.failed} of ${N - connected} connects failed ${JSON.stringify(batch.errors)}`);
      connected = N;
      console.log(`  ${name}: ${N} connected (${Math.round(batch.connectRate)}/s, handshake p99 ${batch.handshakeP99Ms.toFixed(1)} ms)`);
      if (on.has('connect')) prev = await recordSize(ctx, name, srv, N, batch, prev);
      if (N !== P.fanoutN) continue;
      for (const [server, via] of publishers(ctx, srv)) {
        // warm-up, not recorded: the first messages through a path pay for its JIT compilation and first connections
        await clients.measure({ rate: P.rate * 4, count: 5, cpuPids: srv.pids, start: via({ rate: P.rate * 4, count: 5, bytes: P.bytes }), quietMs: 1000 });
        if (on.has('fanout')) {
          const count = P.rate * P.secs;
          const m = await clients.measure({ rate: P.rate, count, cpuPids: srv.pids, start: via({ rate: P.rate, count, bytes: P.bytes }) });
          checkPublish(ctx, server, m, count);
          if (m.lost || m.dups) recorder.problem(`${server} fanout: ${m.lost} lost, ${m.dups} duplicated of ${m.expected}`);
          ctx.lastFanout = server === 'herald-rest' ? m : ctx.lastFanout;
          recorder.measurement('fanout', `N=${N} ${P.rate}/s ${P.bytes} B`, server, m, FANOUT);
          console.log(`  ${server} fanout: ${Math.round(m.deliveriesPerCpuSec)} deliveries/CPU-s, p99 ${m.p99Ms.toFixed(1)} ms, lost ${m.lost}`);
        }
        if (on.has('saturation')) await saturate(ctx, srv, server, via, N);
      }
      if (on.has('rest') && srv.proto === 'herald') await targeted(ctx, srv, N);
    }
  } finally {
    await srv.child.stop();
  }
  const larger = P.connectNs.filter((n) => n > P.fanoutN);
  if (on.has('connect') && traffic && larger.length) await largerSizes(ctx, name, larger);
}

/** Idle memory per connection at N: the slope from the previous size, after GC. */
async function recordSize(ctx, name, srv, N, batch, prev) {
  await settle(ctx.QUICK ? 300 : 1500);
  const s = await srv.stats();
  const dn = (N - prev.n) * 1024;
  const perConn = { rssPerConnKiB: (s.rss - prev.rss) / dn, heapPerConnKiB: (s.heapUsed - prev.heapUsed) / dn };
  ctx.recorder.measurement('connect', `N=${N}`, name, { ...batch, ...perConn }, ['connectRate', 'handshakeP50Ms', 'handshakeP99Ms', 'rssPerConnKiB', 'heapPerConnKiB']);
  return { ...s, n: N };
}

/** Connect sizes above the fan-out's, on a fresh server: up to fanoutN unrecorded, then each size. */
async function largerSizes(ctx, name, sizes) {
  const { P, clients } = ctx;
  await clients.close();
  const srv = await ctx.startServer(name);
  try {
    await clients.connect(srv, P.fanoutN);
    await settle(1500);
    let prev = { ...(await srv.stats()), n: P.fanoutN };
    for (const N of sizes) {
      const batch = await clients.connect(srv, N - prev.n);
      if (batch.failed) ctx.recorder.problem(`${name}: ${batch.failed} of ${N - prev.n} connects failed ${JSON.stringify(batch.errors)}`);
      console.log(`  ${name}: ${N} connected (${Math.round(batch.connectRate)}/s, handshake p99 ${batch.handshakeP99Ms.toFixed(1)} ms)`);
      prev = await recordSize(ctx, name, srv, N, batch, prev);
    }
  } finally {
    await srv.child.stop();
  }
}

/** Steps the broadcast rate up until the server (or the machine) cannot keep up. */
async function saturate(ctx, srv, server, via, N) {
  const { P, clients, recorder } = ctx;
  let best = 0;
  for (const rate of P.satRates) {
    const count = Math.max(2, Math.round(rate * P.satSecs));
    const m = await clients.measure({ rate, count, cpuPids: srv.pids, start: via({ rate, count, bytes: P.bytes }), quietMs: 2000 });
    recorder.measurement('saturation', `N=${N} ${rate}/s`, server, { ...m, percentiles: undefined }, ['deliveriesPerSec', 'deliveriesPerCpuSec', 'p99Ms', 'lost', 'serverCpuPct', 'clientCpuPct']);
    // saturated: delivering clearly less than offered, or falling a second behind, or losing
    const saturated = m.deliveriesPerSec < 0.85 * rate * m.receivers || m.p99Ms > 1000 || m.lost > 0;
    if (!saturated || m.deliveriesPerSec > best) best = Math.max(best, m.deliveriesPerSec);
    console.log(`  ${server} ${rate}/s: ${Math.round(m.deliveriesPerSec)} deliveries/s, server CPU ${m.serverCpuPct.toFixed(0)}%, client CPU ${m.clientCpuPct.toFixed(0)}%, p99 ${m.p99Ms.toFixed(0)} ms`);
    if (saturated) break;
  }
  recorder.metric('saturation', `N=${N} max`, server, 'maxDeliveriesPerSec', best);
}

/** Scenario 3 (Herald only): REST notifications to one random user each. */
async function targeted(ctx, srv, N) {
  const { P, clients, recorder } = ctx;
  const rest = publishers(ctx, srv).find(([s]) => s === 'herald-rest')[1];
  await clients.measure({ rate: 500, count: 500, dedupe: false, perReceiver: false, cpuPids: srv.pids, start: rest({ rate: 500, count: 500, bytes: P.bytes, users: N }, 'users'), quietMs: 1000 });
  for (const rate of P.restRates) {
    const count = rate * P.restSecs;
    const m = await clients.measure({ rate, count, dedupe: false, perReceiver: false, cpuPids: srv.pids, start: rest({ rate, count, bytes: P.bytes, users: N }, 'users') });
    checkPublish(ctx, `herald-rest targeted ${rate}/s`, m, count);
    if (m.lost) recorder.problem(`herald-rest targeted ${rate}/s: ${m.lost} of ${m.expected} lost`);
    recorder.measurement('rest', `N=${N} ${rate}/s`, 'herald-rest', m, ['p50Ms', 'p99Ms', 'p999Ms', 'lost', 'deliveriesPerCpuSec', 'serverCpuPct']);
    console.log(`  herald-rest targeted ${rate}/s: p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms, lost ${m.lost}`);
  }
  // the same top rate as a service would send it in bulk: 100 users per request
  const perRequest = Math.min(100, N);
  const rate = Math.max(1, Math.round(P.restRates.at(-1) / perRequest));
  const count = rate * P.restSecs;
  const m = await clients.measure({ rate, count, dedupe: false, perReceiver: false, perPublish: perRequest, cpuPids: srv.pids, start: rest({ rate, count, bytes: P.bytes, users: N, usersPerRequest: perRequest }, 'users') });
  checkPublish(ctx, `herald-rest targeted ${rate}×${perRequest}/s`, m, count);
  if (m.lost) recorder.problem(`herald-rest targeted ${rate}×${perRequest}/s: ${m.lost} of ${m.expected} lost`);
  recorder.measurement('rest', `N=${N} ${rate * perRequest}/s as ${rate} requests × ${perRequest} users`, 'herald-rest', m, ['p50Ms', 'p99Ms', 'p999Ms', 'lost', 'deliveriesPerCpuSec', 'serverCpuPct']);
  console.log(`  herald-rest targeted ${rate} req/s × ${perRequest} users: p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms, lost ${m.lost}`);
}

/** Scenario 5: 1 % of clients stop reading while big messages flow; the others' latency and server memory. */
async function slow(ctx, name) {
  const { P, clients, recorder } = ctx;
  const srv = await ctx.startServer(name);
  try {
    const batch = await clients.connect(srv, P.slowN);
    if (batch.failed) recorder.problem(`${name} slow: ${batch.failed} connects failed`);
    await clients.pause(0.01);
    const rss0 = srv.rss();
    let peak = rss0;
    const count = P.slowRate * P.slowSecs;
    const [, via] = publishers(ctx, srv).at(-1);
    const m = await clients.measure({
      rate: P.slowRate,
      count,
      cpuPids: srv.pids,
      start: via({ rate: P.slowRate, count, bytes: P.slowBytes }),
      onSample: () => (peak = Math.max(peak, srv.rss())),
    });
    const server = srv.proto === 'herald' ? 'herald-rest' : name;
    if (m.lost) recorder.problem(`${server} slow: ${m.lost} of ${m.expected} lost by readers`);
    const r = { ...m, slowCut: await clients.resume(), peakRssGrowthMiB: (peak - rss0) / 2 ** 20 };
    recorder.measurement('slow', `N=${P.slowN}, 1% stop reading, ${P.slowBytes} B ${P.slowRate}/s`, server, r, ['p50Ms', 'p99Ms', 'p999Ms', 'lost', 'slowCut', 'peakRssGrowthMiB']);
    console.log(`  ${server} slow readers: others p99 ${m.p99Ms.toFixed(1)} ms, RSS +${r.peakRssGrowthMiB.toFixed(1)} MiB, ${r.slowCut} slow cut`);
  } finally {
    await srv.child.stop();
  }
}

export { main, slow };
export { cluster } from './cluster.mjs';
export { http, storm } from './http-scenarios.mjs';
export { channels } from './channels.mjs';
