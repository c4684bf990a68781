// Fan-out benchmark: Herald runs as its own process (node dist/main.js); this process
// holds N authenticated /demo sockets and measures broadcasts end to end (send → every
// socket has it), server memory per connection, and encoding once vs once per socket.
// Usage: npm run bench [-- --conns 2000 --messages 200 --paced 50 --redis redis://127.0.0.1:6379]
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { JwtService } from '@nestjs/jwt';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { DEV_JWT_SECRET } from '../dist/config/herald-config.js';
import { encode } from '../dist/protocol/envelope.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const CONNS = arg('conns', 2000);
const MESSAGES = arg('messages', 200);
const PACED = arg('paced', 50);
const ri = process.argv.indexOf('--redis');
const REDIS_URL = ri > 0 ? process.argv[ri + 1] : undefined;
const jwt = new JwtService();
const token = (sub) => jwt.sign({ sub }, { secret: DEV_JWT_SECRET, algorithm: 'HS256', expiresIn: 3600 });

const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
const port = await freePort();
const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_SEC: '100000', MAX_CONNECTIONS_PER_USER: '100000' };
if (REDIS_URL) Object.assign(env, { REDIS_URL, REDIS_KEY_PREFIX: `herald-bench-${process.pid}:` });
const server = spawn(process.execPath, ['dist/main.js'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const base = `127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  const ok = await fetch(`http://${base}/health/ready`).then((r) => r.ok, () => false);
  if (ok) break;
  if (i > 100) throw new Error('Herald did not become ready');
  await new Promise((r) => setTimeout(r, 100));
}
const serverRss = async () => {
  const text = await (await fetch(`http://${base}/metrics`)).text();
  return Number(/^herald_process_resident_memory_bytes (\S+)/m.exec(text)[1]);
};
const rssBefore = await serverRss();

async function connect(i) {
  const t = token(`user-${i}`);
  const res = await fetch(`http://${base}/auth/ticket`, { method: 'POST', headers: { authorization: `Bearer ${t}` } });
  const { ticket } = await res.json();
  const ws = new WebSocket(`ws://${base}/demo?ticket=${ticket}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', data: { token: t } })));
    ws.once('message', (d) => (JSON.parse(d.toString()).type === 'auth_ok' ? resolve() : reject(new Error(d.toString()))));
  });
  return ws;
}

const t0 = performance.now();
const sockets = [];
for (let i = 0; i < CONNS; i += 100) {
  sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, CONNS - i) }, (_, j) => connect(i + j)))));
}
const connectMs = performance.now() - t0;
const rssPerConn = ((await serverRss()) - rssBefore) / CONNS;

// Throughput: a burst of broadcasts, until every socket has every one.
let received = 0;
let onAll = () => undefined;
let pacedSeen = 0;
for (const ws of sockets) {
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString());
    if (f.type !== 'broadcast') return;
    if (f.data.text.startsWith('p')) {
      if (++pacedSeen === CONNS) onAll();
    } else if (++received === CONNS * MESSAGES) onAll();
  });
}
const expected = CONNS * MESSAGES;
const sender = sockets[0];
const burstDone = new Promise((resolve) => (onAll = resolve));
const t1 = performance.now();
for (let m = 0; m < MESSAGES; m++) {
  sender.send(JSON.stringify({ type: 'broadcast', data: { text: `m${m}` } }));
  if (m % 20 === 19) await new Promise((r) => setImmediate(r));
}
await burstDone;
const fanoutMs = performance.now() - t1;

// Latency: one broadcast at a time, from send to the last socket having it.
const latencies = [];
for (let m = 0; m < PACED; m++) {
  pacedSeen = 0;
  const all = new Promise((resolve) => (onAll = resolve));
  const t = performance.now();
  sender.send(JSON.stringify({ type: 'broadcast', data: { text: `p${m}` } }));
  await all;
  latencies.push(performance.now() - t);
}
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);

// Encoding once per fan-out vs once per socket, same payload, same socket count.
const data = { from: 'user-0', text: 'x'.repeat(200) };
const reps = 20;
let t = performance.now();
for (let r = 0; r < reps; r++) {
  const frame = encode('broadcast', data);
  for (let i = 0; i < CONNS; i++) if (frame.length === 0) throw new Error();
}
const onceMs = performance.now() - t;
t = performance.now();
for (let r = 0; r < reps; r++) for (let i = 0; i < CONNS; i++) if (encode('broadcast', data).length === 0) throw new Error();
const perSocketMs = performance.now() - t;

console.log(`broker:                 ${REDIS_URL ? `redis (${REDIS_URL})` : 'memory'}`);
console.log(`connections:            ${CONNS} (connect+auth ${connectMs.toFixed(0)} ms, ${(CONNS / (connectMs / 1000)).toFixed(0)}/s)`);
console.log(`server RSS per conn:    ${(rssPerConn / 1024).toFixed(1)} KiB`);
console.log(`broadcasts:             ${MESSAGES} → ${expected} deliveries in ${fanoutMs.toFixed(0)} ms`);
console.log(`delivery rate:          ${(expected / (fanoutMs / 1000)).toFixed(0)} frames/s`);
console.log(`one broadcast to all:   p50 ${pct(50)} ms, p99 ${pct(99)} ms (send → last of ${CONNS} sockets has it, ${PACED} runs)`);
console.log(`encode once per fan-out: ${onceMs.toFixed(2)} ms vs once per socket: ${perSocketMs.toFixed(2)} ms → ${(perSocketMs / onceMs).toFixed(0)}x less encoding work`);

for (const ws of sockets) ws.terminate();
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
process.exit(0);
