// Issue #10's scenarios: the REST path (publish, tickets, batch) against bare Fastify and
// Express routes serving the same JSON in the same run, and the reconnect storm.
import { join } from 'node:path';
import { Histogram } from './histogram.mjs';
import { Clients } from './measure.mjs';
import { cpuSeconds } from './proc.mjs';

export const HTTP_SERVERS = ['herald', 'bare-fastify', 'bare-express'];
const SCRIPTS = { herald: 'servers/herald.mjs', 'bare-fastify': 'servers/bare-fastify.mjs', 'bare-express': 'servers/bare-express.mjs' };
const EXPECTED = { notify: 202, ticket: 201, batch: 202, health: 200 };
const ms = (h, p) => h.percentile(p) / 1000;

/** One load run from the HTTP generator, with the server's CPU per request from /proc. */
async function load(ctx, srv, o) {
  const c0 = cpuSeconds(srv.child.pid);
  const r = await ctx.httpgen.request({ cmd: 'run', target: { host: '127.0.0.1', port: srv.port }, connections: 20, apiKey: ctx.secrets.BENCH_API_KEY, jwtSecret: ctx.secrets.BENCH_JWT_SECRET, ...o }, 'ran');
  const h = new Histogram(r.hist);
  const wrong = Object.entries(r.statuses).filter(([s]) => Number(s) !== EXPECTED[o.kind]);
  const offered = o.rate ? Math.round((o.rate * o.durationMs) / 1000) : r.completed;
  return {
    ...r,
    offered,
    wrong: Object.fromEntries(wrong),
    answeredPct: (100 * (r.statuses[EXPECTED[o.kind]] ?? 0)) / offered,
    serverCpuUsPerReq: ((cpuSeconds(srv.child.pid) - c0) * 1e6) / Math.max(1, r.completed),
    p50Ms: ms(h, 50),
    p99Ms: ms(h, 99),
    p999Ms: ms(h, 99.9),
    percentiles: [50, 75, 90, 95, 99, 99.9, 100].map((p) => [p, ms(h, p)]),
  };
}

function check(ctx, label, m) {
  if (Object.keys(m.wrong).length || m.completed < m.offered) ctx.recorder.problem(`${label}: ${m.completed} of ${m.offered} answered, unexpected statuses ${JSON.stringify(m.wrong)}`);
}

async function startHttpServer(ctx, name, env = {}) {
  const spec = { script: SCRIPTS[name], proto: 'http', path: '/' };
  ctx.SERVERS[name] ??= spec;
  return ctx.startServer(name, env);
}

/** REST: the highest rate each server sustains (closed loop, 20 connections), open-loop latency at rising rates, batches. */
export async function http(ctx, run) {
  const { P, recorder } = ctx;
  const order = HTTP_SERVERS.map((_, i) => HTTP_SERVERS[(i + run) % HTTP_SERVERS.length]);
  for (const name of order) {
    const srv = await startHttpServer(ctx, name);
    try {
      // notify last: the first kind measured after start still paid for the JIT in the first runs
      for (const kind of ['health', 'ticket', 'notify']) {
        await load(ctx, srv, { kind, durationMs: P.httpWarmMs }); // JIT and connections first
        const m = await load(ctx, srv, { kind, durationMs: P.httpMs });
        check(ctx, `${name} ${kind} max`, m);
        recorder.measurement('http', `${kind}: max rate, 20 connections`, name, m, ['ratePerSec', 'serverCpuUsPerReq', 'p50Ms', 'p99Ms']);
        console.log(`  ${name} ${kind}: ${Math.round(m.ratePerSec)} req/s, ${m.serverCpuUsPerReq.toFixed(0)} µs server CPU a request, p99 ${m.p99Ms.toFixed(1)} ms`);
      }
      for (const rate of P.httpRates) {
        const m = await load(ctx, srv, { kind: 'notify', rate, durationMs: P.httpMs });
        recorder.measurement('http-open', `notify at ${rate}/s offered`, name, m, ['answeredPct', 'p50Ms', 'p99Ms', 'p999Ms', 'serverCpuUsPerReq']);
        console.log(`  ${name} notify at ${rate}/s: ${m.answeredPct.toFixed(1)}% answered, p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms`);
        if (ctx.QUICK) check(ctx, `${name} notify at ${rate}/s`, m);
        if (m.answeredPct < 95 || m.p99Ms > 1000) break; // saturated: the next step only queues more
      }
      await batches(ctx, srv, name);
    } finally {
      await srv.child.stop();
    }
  }
  // the batch on Redis: one prefix per run on the shared Redis, removed by nobody (keys expire with the TTLs)
  if (P.redisUrl) {
    const srv = await startHttpServer(ctx, 'herald', { REDIS_URL: P.redisUrl, REDIS_KEY_PREFIX: `bench-http-${process.pid}-${run}:` });
    try {
      await batches(ctx, srv, 'herald-redis');
    } finally {
      await srv.child.stop();
    }
  }
}

async function batches(ctx, srv, name) {
  const { P, recorder } = ctx;
  const o = { kind: 'batch', items: P.batchItems, connections: P.batchConnections };
  await load(ctx, srv, { ...o, durationMs: P.httpWarmMs });
  const m = await load(ctx, srv, { ...o, durationMs: P.httpMs });
  check(ctx, `${name} batch`, m);
  const r = { ...m, notificationsPerSec: m.ratePerSec * P.batchItems, serverCpuUsPerNotification: m.serverCpuUsPerReq / P.batchItems };
  recorder.measurement('batch', `${P.batchItems} items a request, ${P.batchConnections} connections`, name, r, ['notificationsPerSec', 'serverCpuUsPerNotification', 'p50Ms', 'p99Ms']);
  console.log(`  ${name} batch: ${Math.round(r.notificationsPerSec)} notifications/s, p99 ${m.p99Ms.toFixed(1)} ms a request`);
}

/**
 * The reconnect storm: N clients connected, all dropped at once (as by a drained
 * instance), then all reconnecting at once; time until the last is authenticated
 * (Herald: ticket, upgrade, auth → auth_ok) or upgraded (bare ws).
 */
export async function storm(ctx, run) {
  const { P, recorder, loadgens } = ctx;
  const servers = ['herald', 'ws-naive'];
  for (const name of servers.map((_, i) => servers[(i + run) % servers.length])) {
    for (const N of P.stormNs) {
      const srv = await ctx.startServer(name);
      const steady = new Clients(loadgens, { jwtSecret: ctx.secrets.BENCH_JWT_SECRET, concurrency: ctx.QUICK ? 16 : 64 });
      const storming = new Clients(loadgens, { jwtSecret: ctx.secrets.BENCH_JWT_SECRET, concurrency: Math.ceil(N / loadgens.length) });
      try {
        const before = await steady.connect(srv, N);
        if (before.failed) recorder.problem(`${name} storm N=${N}: ${before.failed} of the first connects failed ${JSON.stringify(before.errors)}`);
        await steady.close();
        const cpu0 = cpuSeconds(srv.child.pid);
        const m = await storming.connect(srv, N);
        const cpu = cpuSeconds(srv.child.pid) - cpu0;
        if (m.failed) recorder.problem(`${name} storm N=${N}: ${m.failed} of ${N} reconnects failed ${JSON.stringify(m.errors)}`);
        const r = { ...m, allConnectedSec: N / m.connectRate, serverCpuMsPerConnect: (cpu * 1000) / N };
        recorder.measurement('storm', `N=${N} reconnecting at once`, name, r, ['allConnectedSec', 'connectRate', 'serverCpuMsPerConnect', 'handshakeP99Ms', 'failed']);
        console.log(`  ${name} storm N=${N}: all in ${r.allConnectedSec.toFixed(2)} s (${Math.round(m.connectRate)}/s), ${r.serverCpuMsPerConnect.toFixed(2)} ms server CPU a connect`);
      } finally {
        await storming.close();
        await srv.child.stop();
      }
    }
  }
}

export const httpgenScript = (here) => join(here, 'httpgen.mjs');
