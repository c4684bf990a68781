// REST publisher (a child of bench/run.mjs): POSTs notifications to Herald on an
// open-loop schedule, from its own process so the server's CPU is the server's.
import http from 'node:http';
import { benchPayload, runSchedule } from './lib/schedule.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let requests = 0;

function post(target, path, apiKey, body) {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const req = http.request(
      { host: target.host, port: target.port, path, method: 'POST', agent, headers: { 'x-api-key': apiKey, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end(data);
  });
}

/** `k` distinct users out of user-0..user-(n-1): a random run of consecutive ids. */
function randomUsers(n, k) {
  const start = Math.floor(Math.random() * n);
  return Array.from({ length: Math.min(k, n) }, (_, i) => `user-${(start + i) % n}`);
}

process.on('message', async (msg) => {
  if (msg.cmd !== 'run') return;
  const statuses = {};
  const pending = [];
  const result = await runSchedule(msg, (seq, t) => {
    const payload = benchPayload(seq, t, msg.bytes);
    const idempotencyKey = `bench-${process.pid}-${++requests}`;
    const channels = msg.mode === 'channels' ? [`${msg.channelPrefix}${Math.floor(Math.random() * msg.channelCount)}`] : undefined;
    const body =
      msg.mode === 'users'
        ? { userIds: randomUsers(msg.users, msg.usersPerRequest ?? 1), event: 'bench', payload, idempotencyKey }
        : channels
          ? { channels, event: 'bench', payload, idempotencyKey }
          : { event: 'bench', payload, idempotencyKey };
    const path = msg.mode === 'users' ? '/notifications' : channels ? '/notifications/channels' : '/notifications/broadcast';
    // a connection reset (status 0) is retried once with the same idempotencyKey: never counted twice
    const once = () => post(msg.target, path, msg.apiKey, body);
    pending.push(once().then((s) => (s === 0 ? once() : s)).then((s) => (statuses[s] = (statuses[s] ?? 0) + 1)));
  });
  await Promise.all(pending);
  process.send({ cmd: 'ran', id: msg.id, statuses, accepted: statuses[202] ?? 0, ...result });
});
process.on('message', (msg) => msg.cmd === 'exit' && process.exit(0));
process.on('disconnect', () => process.exit(0));
process.send({ cmd: 'ready' });
