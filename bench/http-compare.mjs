// A short side-by-side of REST routes, outside the full bench: each server in turn pinned to core 0,
// the HTTP generator (20 keep-alive connections, closed loop) on core 1, 3 s warm-up then N seconds.
//   npm run build && node bench/http-compare.mjs herald,bare-fastify,bare-express,herald,bare-fastify health,ticket,notify 4
// Prints requests/s, latency and the server's CPU time per request (from /proc): the last is the one that
// holds up best on a machine other work is loading. PROF=1 writes CPU profiles to /tmp/prof.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const B = dirname(fileURLToPath(import.meta.url));
const { Child, cpuSeconds } = await import(`${B}/lib/proc.mjs`);
const { Histogram } = await import(`${B}/lib/histogram.mjs`);
const [, , servers, kinds, secsArg] = process.argv;
const secrets = { BENCH_JWT_SECRET: 'herald-bench-secret-0123456789abcdef0123456789', BENCH_API_KEY: 'herald-bench-key' };
const gen = new Child(join(B, 'httpgen.mjs'), { cpus: '1' });
await gen.next('ready');
for (const name of servers.split(',')) {
  const srv = new Child(join(B, `servers/${name}.mjs`), { cpus: '0', env: { ...secrets, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' }, execArgv: process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [] });
  const { port } = await srv.next('ready', 60000);
  for (const kind of kinds.split(',')) {
    const o = { cmd: 'run', target: { host: '127.0.0.1', port }, connections: 20, kind, apiKey: secrets.BENCH_API_KEY, jwtSecret: secrets.BENCH_JWT_SECRET, items: 100 };
    await gen.request({ ...o, durationMs: 3000 }, "ran");
    const c0 = cpuSeconds(srv.pid);
    const r = await gen.request({ ...o, durationMs: Number(secsArg ?? 3) * 1000 }, 'ran');
    const cpuUs = ((cpuSeconds(srv.pid) - c0) * 1e6) / r.completed;
    const h = new Histogram(r.hist);
    console.log(`${name} ${kind}: ${Math.round(r.ratePerSec)} req/s p50 ${(h.percentile(50) / 1000).toFixed(2)} ms p99 ${(h.percentile(99) / 1000).toFixed(2)} ms ${JSON.stringify(r.statuses)} client ${r.clientCpuPct.toFixed(0)}% server CPU ${cpuUs.toFixed(0)} µs/req`);
  }
  await srv.stop();
}
await gen.stop();
process.exit(0);
