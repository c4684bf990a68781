// HTTP load generator (a child of bench/run.mjs): keep-alive connections, one
// request in flight on each (like autocannon -c), either as fast as answers come
// back (closed loop: the rate a server sustains) or on an open-loop schedule
// (latency from each request's intended send time, queueing included).
import { createHmac } from 'node:crypto';
import { Histogram } from './lib/histogram.mjs';
import { httpRequest, RawHttp } from './lib/raw-http.mjs';
import { nowUs, runSchedule } from './lib/schedule.mjs';

const b64url = (s) => Buffer.from(s).toString('base64url');
function jwt(sub, secret) {
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify({ sub, iat: now, exp: now + 7200 }))}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** A pool of ready-made requests of one kind, used round-robin (the generator must not cost much per request). */
function requestPool(o) {
  const host = `${o.target.host}:${o.target.port}`;
  const json = { 'content-type': 'application/json', 'x-api-key': o.apiKey };
  const pool = [];
  for (let i = 0; i < 64; i++) {
    const user = `user-${i}`;
    if (o.kind === 'notify') pool.push(httpRequest('POST', '/notifications', host, json, { userIds: [user], event: 'bench', payload: { n: i, text: 'hello' } }));
    else if (o.kind === 'ticket') pool.push(httpRequest('POST', '/auth/ticket', host, { authorization: `Bearer ${jwt(user, o.jwtSecret)}` }));
    else if (o.kind === 'batch') {
      const items = Array.from({ length: o.items }, (_, k) => ({ userIds: [`user-${(i * o.items + k) % 10_000}`], event: 'bench', payload: { n: k } }));
      pool.push(httpRequest('POST', '/notifications/batch', host, json, { items }));
    } else if (o.kind === 'health') pool.push(httpRequest('GET', '/health/live', host));
    else throw new Error(`unknown kind ${o.kind}`);
  }
  return pool;
}

async function run(o) {
  const pool = requestPool(o);
  const conns = await Promise.all(Array.from({ length: o.connections }, () => new RawHttp({ ...o.target, localAddress: o.localAddress })).map(async (c) => (await c.connected, c)));
  const hist = new Histogram();
  const statuses = {};
  let completed = 0;
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const started = nowUs();
  const count = (status) => (statuses[status] = (statuses[status] ?? 0) + 1);
  if (!o.rate) {
    // closed loop for durationMs: every connection sends its next request as soon as the last is answered
    const until = started + o.durationMs * 1000;
    await Promise.all(
      conns.map(async (c) => {
        while (nowUs() < until) {
          const t = nowUs();
          const [status] = await c.request(pool[sent++ % pool.length]);
          hist.record(nowUs() - t);
          count(status);
          completed++;
          if (status === 0) break;
        }
      }),
    );
  } else {
    // open loop: request k is due at start + k/rate; it waits for a free connection if none is
    const free = [...conns];
    const queue = [];
    let all;
    const finished = new Promise((resolve) => (all = resolve));
    const total = Math.round((o.rate * o.durationMs) / 1000);
    const pump = () => {
      while (free.length && queue.length) {
        const c = free.pop();
        const due = queue.shift();
        c.request(pool[sent++ % pool.length]).then(([status]) => {
          hist.record(nowUs() - due);
          count(status);
          completed++;
          if (status !== 0) free.push(c);
          if (completed === total) all();
          else pump();
        });
      }
    };
    await runSchedule({ rate: o.rate, count: total, startAt: started }, (_seq, due) => {
      queue.push(due);
      pump();
    });
    await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, o.drainMs ?? 10_000))]);
  }
  const elapsed = (nowUs() - started) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  for (const c of conns) c.close();
  return { completed, statuses, elapsed, ratePerSec: completed / elapsed, hist: hist.toJSON(), clientCpuPct: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100 };
}

process.on('message', async (msg) => {
  if (msg.cmd === 'run') process.send({ cmd: 'ran', id: msg.id, ...(await run(msg)) });
  else if (msg.cmd === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
process.send({ cmd: 'ready' });
