// Fan-out benchmark: N authenticated /demo sockets, M broadcasts, measured end to end
// (send → every socket has it), plus the cost of encoding once vs once per socket.
// Usage: npm run bench [-- --conns 2000 --messages 200]
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { JwtService } from '@nestjs/jwt';
import { createHeraldApp } from '../dist/app.factory.js';
import { DEV_JWT_SECRET } from '../dist/config/herald-config.js';
import { encode } from '../dist/protocol/envelope.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const CONNS = arg('conns', 2000);
const MESSAGES = arg('messages', 200);
const jwt = new JwtService();
const token = (sub) => jwt.sign({ sub }, { secret: DEV_JWT_SECRET, algorithm: 'HS256', expiresIn: 3600 });

const app = await createHeraldApp({ env: { LOG_LEVEL: 'silent', RATE_LIMIT_PER_SEC: '100000', MAX_CONNECTIONS_PER_USER: '100000' } });
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address();
const base = `127.0.0.1:${port}`;

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
const heapPerConn = process.memoryUsage().heapUsed / CONNS;

let received = 0;
const latencies = [];
const expected = CONNS * MESSAGES;
const done = new Promise((resolve) => {
  for (const ws of sockets) {
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.type !== 'broadcast') return;
      latencies.push(performance.now() - Number(f.data.text.split(':')[1]));
      if (++received === expected) resolve();
    });
  }
});
const sender = sockets[0];
const t1 = performance.now();
for (let m = 0; m < MESSAGES; m++) {
  sender.send(JSON.stringify({ type: 'broadcast', data: { text: `m${m}:${performance.now()}` } }));
  if (m % 20 === 19) await new Promise((r) => setImmediate(r));
}
await done;
const fanoutMs = performance.now() - t1;
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

console.log(`connections:            ${CONNS} (connect+auth ${connectMs.toFixed(0)} ms, ${(CONNS / (connectMs / 1000)).toFixed(0)}/s)`);
console.log(`heap per connection:    ${(heapPerConn / 1024).toFixed(1)} KiB (clients and server in one process)`);
console.log(`broadcasts:             ${MESSAGES} → ${expected} deliveries in ${fanoutMs.toFixed(0)} ms`);
console.log(`delivery rate:          ${(expected / (fanoutMs / 1000)).toFixed(0)} frames/s`);
console.log(`latency send→receive:   p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`);
console.log(`encode once per fan-out: ${onceMs.toFixed(2)} ms vs once per socket: ${perSocketMs.toFixed(2)} ms → ${(perSocketMs / onceMs).toFixed(0)}x less encoding work`);

for (const ws of sockets) ws.terminate();
await app.close();
process.exit(0);
