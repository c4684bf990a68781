// Herald against the alternatives, same machine, same run: `npm run bench [-- options]`.
//   --quick              small N, a second per phase; fails unless every message arrived (CI)
//   --runs 3             interleaved runs (server order rotates); medians with min–max
//   --servers a,b        herald,ws-naive,ws-frame-once,socketio,uws (herald-rest, herald-direct: herald)
//   --scenarios a,b      connect,fanout,saturation,rest,cluster,slow,channels,http,storm
//   --out dir            where results go; by default bench/results/ for a full run, bench/results/partial/
//                        when servers or scenarios were left out, bench/results/quick/ for --quick
//   --n 1000,5000,...    connect scenario sizes;  --fanout-n 10000 clients for fan-out
//   --storm-n 1000,...   reconnect storm sizes;   --http-rates 500,1000,...  open-loop REST rates
//   --redis URL          Redis for the batch-on-Redis figure (default redis://127.0.0.1:6379; "" skips it)
//   --channels 1000x10   channel scenario: channels × subscribers;  --channel-rate 200;  --secs 10 per measured run
// Servers run pinned to core 0, load generators and the REST publisher to core 1.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Clients } from './lib/measure.mjs';
import { Child, machineInfo, pin, rssBytes } from './lib/proc.mjs';
import { Recorder } from './lib/recorder.mjs';
import * as scenarios from './lib/scenarios.mjs';
import { checkTargets, targetsMarkdown } from './lib/targets.mjs';
import { writeReport, summarize } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    servers: { type: 'string' },
    scenarios: { type: 'string' },
    n: { type: 'string' },
    'fanout-n': { type: 'string' },
    channels: { type: 'string' },
    'channel-rate': { type: 'string' },
    secs: { type: 'string' },
    out: { type: 'string' },
    'storm-n': { type: 'string' },
    'http-rates': { type: 'string' },
    redis: { type: 'string' },
  },
});
const QUICK = args.quick;
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const nums = (s) => list(s).map(Number);
const P = QUICK
  ? { runs: 1, connectNs: [150], fanoutN: 150, rate: 5, secs: 1, satRates: [40], satSecs: 1, restRates: [200], restSecs: 1, clusterN: 150, channelCount: 20, channelSubscribers: 5, channelRate: 50, slowN: 100, slowRate: 20, slowBytes: 8192, slowSecs: 2 }
  : { runs: 3, connectNs: [1000, 5000, 10000, 19000], fanoutN: 10000, rate: 5, secs: 10, satRates: [10, 20, 40, 80, 160, 320], satSecs: 4, restRates: [1000, 2500, 5000], restSecs: 5, clusterN: 10000, channelCount: 1000, channelSubscribers: 10, channelRate: 200, slowN: 500, slowRate: 10, slowBytes: 32768, slowSecs: 30 };
Object.assign(
  P,
  QUICK
    ? { stormNs: [150], httpRates: [200], httpMs: 500, httpWarmMs: 200, batchItems: 100, batchConnections: 4, redisUrl: undefined }
    : { stormNs: [1000, 5000, 10000], httpRates: [500, 1000, 2000, 4000, 8000], httpMs: 5000, httpWarmMs: 3000, batchItems: 1000, batchConnections: 4, redisUrl: 'redis://127.0.0.1:6379' },
);
if (args['storm-n']) P.stormNs = nums(args['storm-n']);
if (args['http-rates']) P.httpRates = nums(args['http-rates']);
if (args.redis !== undefined) P.redisUrl = args.redis || undefined;
if (args.runs) P.runs = Number(args.runs);
if (args.n) P.connectNs = nums(args.n);
if (args['fanout-n']) P.fanoutN = P.clusterN = Number(args['fanout-n']);
// channel scenario size: --channels 1000x10 (channels × subscribers each), --channel-rate 200 (publications/s)
if (args.channels) [P.channelCount, P.channelSubscribers] = args.channels.split('x').map(Number);
if (args['channel-rate']) P.channelRate = Number(args['channel-rate']);
if (args.secs) P.secs = Number(args.secs);
P.bytes = 100;
P.connectNs = [...new Set([...P.connectNs, P.fanoutN])].sort((a, b) => a - b);

const SERVERS = {
  herald: { script: 'servers/herald.mjs', proto: 'herald', path: '/notification' },
  'ws-naive': { script: 'servers/ws-naive.mjs', proto: 'ws', path: '/' },
  'ws-frame-once': { script: 'servers/ws-frame-once.mjs', proto: 'ws', path: '/' },
  socketio: { script: 'servers/socketio.mjs', proto: 'socketio', path: '/socket.io/?EIO=4&transport=websocket' },
  uws: { script: 'servers/uws.mjs', proto: 'ws', path: '/' },
};
const SCENARIOS = ['connect', 'fanout', 'saturation', 'rest', 'cluster', 'slow', 'channels', 'http', 'storm'];
const WS_SCENARIOS = ['connect', 'fanout', 'saturation', 'rest', 'cluster', 'slow', 'channels'];
// the report's rows name Herald by how it was driven: both are the `herald` server
const ALIASES = { 'herald-rest': 'herald', 'herald-direct': 'herald' };
/** The names asked for, aliases resolved; an unknown name stops the run, listing the valid ones. */
function chosen(flag, given, valid) {
  const names = [...new Set(list(given).map((n) => ALIASES[n] ?? n))];
  const unknown = list(given).filter((n) => !valid.includes(n) && !(flag === 'servers' && n in ALIASES));
  if (unknown.length || names.length === 0) {
    const aliases = flag === 'servers' ? ` (${Object.keys(ALIASES).join(' and ')}, as the report names them, mean herald)` : '';
    console.error(`bench: unknown --${flag} ${unknown.join(', ') || '(none given)'}; valid: ${valid.join(', ')}${aliases}`);
    process.exit(2);
  }
  return names;
}
const serverNames = args.servers ? chosen('servers', args.servers, Object.keys(SERVERS)) : Object.keys(SERVERS);
const scenarioNames = args.scenarios ? chosen('scenarios', args.scenarios, SCENARIOS) : SCENARIOS;
// Only a full run (every server, every scenario) replaces bench/results/latest.*, which docs/performance.md shows;
// a partial one writes to bench/results/partial/ (--quick to bench/results/quick/, --out anywhere)
const partial = serverNames.length < Object.keys(SERVERS).length || scenarioNames.length < SCENARIOS.length;

const twoCores = os.cpus().length >= 2;
const SERVER_CPUS = twoCores ? '0' : undefined;
const CLIENT_CPUS = twoCores ? `1-${os.cpus().length - 1}` : undefined;
pin(process.pid, CLIENT_CPUS);
const secrets = { BENCH_JWT_SECRET: 'herald-bench-secret-0123456789abcdef0123456789', BENCH_API_KEY: 'herald-bench-key' };
const notes = [];
const note = (text) => {
  notes.push(text);
  console.log(`  note: ${text}`);
};

const require = createRequire(import.meta.url);
const versionOf = (pkg) => {
  try {
    return JSON.parse(readFileSync(join(here, '../node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
};
if (!existsSync(join(here, '../dist/app.factory.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');

const LOADGENS = QUICK ? 2 : 4;
const loadgens = await Promise.all(
  Array.from({ length: LOADGENS }, async (_, i) => {
    const lg = new Child(join(here, 'loadgen.mjs'), { cpus: CLIENT_CPUS });
    lg.localAddress = `127.0.0.${2 + i}`;
    await lg.next('ready');
    return lg;
  }),
);
const publisher = new Child(join(here, 'publisher.mjs'), { cpus: CLIENT_CPUS });
await publisher.next('ready');
const httpgen = new Child(join(here, 'httpgen.mjs'), { cpus: CLIENT_CPUS });
await httpgen.next('ready');
if (!loadgens[0].pinned) note('taskset unavailable: processes not pinned to cores');

const clients = new Clients(loadgens, { jwtSecret: secrets.BENCH_JWT_SECRET, concurrency: QUICK ? 16 : 64 });

/** Starts one server process under test; resolves with what a scenario needs to drive it. */
async function startServer(name, env = {}) {
  const spec = SERVERS[name];
  // BENCH_SERVER_NODE_ARGS: extra node flags for servers under test, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const execArgv = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = new Child(join(here, spec.script), { cpus: SERVER_CPUS, env: { ...secrets, ...env }, execArgv });
  const ready = await Promise.race([child.next('ready', 60_000), child.exited.then((e) => Promise.reject(new Error(`exited (${e.code ?? e.signal})`)))]);
  return { name, ...spec, child, port: ready.port, pids: [child.pid], rss: () => rssBytes(child.pid), stats: () => child.request({ cmd: 'stats' }) };
}

const recorder = new Recorder();
const ctx = { P, QUICK, clients, publisher, httpgen, loadgens, startServer, recorder, note, secrets, here, SERVERS };
const started = new Date();
const skipped = new Set();
console.log(`Herald benchmark${QUICK ? ' (quick)' : ''}: ${P.runs} run(s), servers ${serverNames.join(', ')}, scenarios ${scenarioNames.join(', ')}`);
for (let run = 0; run < P.runs; run++) {
  const order = serverNames.map((_, i) => serverNames[(i + run) % serverNames.length]);
  console.log(`run ${run + 1}/${P.runs}: ${order.join(' → ')}`);
  for (const name of scenarioNames.some((x) => WS_SCENARIOS.includes(x)) ? order : []) {
    if (skipped.has(name)) continue;
    const on = new Set(scenarioNames);
    const steps = [
      ['main', ['connect', 'fanout', 'saturation', 'rest'].some((s) => on.has(s))],
      ['cluster', on.has('cluster')],
      ['slow', on.has('slow')],
      ['channels', on.has('channels')],
    ];
    for (const [step, wanted] of steps) {
      if (!wanted) continue;
      try {
        await scenarios[step](ctx, name, run, on);
      } catch (err) {
        if (name === 'uws') {
          skipped.add(name);
          note(`uWebSockets.js (uws-pack) skipped: it did not run here (${err.message})`);
          break;
        }
        // one broken step must not lose the rest of a long run: it is reported, and --quick fails on it
        recorder.problem(`${name} ${step} (run ${run + 1}) failed: ${err.stack ?? err}`);
      } finally {
        await clients.close();
      }
    }
  }
  for (const step of ['http', 'storm']) {
    if (!scenarioNames.includes(step)) continue;
    try {
      await scenarios[step](ctx, run);
    } catch (err) {
      recorder.problem(`${step} (run ${run + 1}) failed: ${err.stack ?? err}`);
    } finally {
      await clients.close();
    }
  }
}
for (const lg of loadgens) await lg.stop();
await publisher.stop();
await httpgen.stop();

const results = {
  meta: {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: QUICK,
    runs: P.runs,
    params: P,
    machine: { ...machineInfo(), pinned: loadgens[0].pinned ? `servers on core ${SERVER_CPUS}, clients on ${CLIENT_CPUS}` : 'no' },
    versions: { herald: require('../package.json').version, node: process.version, ws: versionOf('ws'), 'socket.io': versionOf('socket.io'), 'uws-pack': versionOf('uws-pack'), '@nestjs/core': versionOf('@nestjs/core') },
    notes,
  },
  ...recorder.toJSON(),
};
const outDir = args.out ?? join(here, 'results', QUICK ? 'quick' : partial ? 'partial' : '');
mkdirSync(outDir, { recursive: true });
const { rows, markdown } = summarize(results);
results.targets = checkTargets(rows);
const written = await writeReport(results, outDir);
const targets = `### Targets (issues #6 and #10)\n\n${targetsMarkdown(results.targets)}\n`;
if (written.markdownPath) appendFileSync(written.markdownPath, `\n${targets}`);
console.log(`\n${markdown}\n\n${targets}`);
console.log(`results: ${written.jsonPath}${written.pngPaths?.length ? `, chart: ${written.pngPaths.join(', ')}` : ''}`);

const problems = recorder.problems();
if (problems.length) {
  console.error(`\nNOT every message arrived:\n  ${problems.join('\n  ')}`);
  if (QUICK) process.exit(1);
}
if (QUICK) console.log('quick bench: every message arrived, every client connected');
process.exit(0);
