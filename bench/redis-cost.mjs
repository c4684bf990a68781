// Redis CPU per user publication: Herald's publish script (one per publication, any number of users)
// against the script it replaced (one per user, plus a fan-out log), measured in the same run on a
// throwaway redis-server (nothing else runs on it). `npm run build && node bench/redis-cost.mjs`
// Redis CPU is read from INFO (used_cpu_user + used_cpu_sys), so the figures include command
// parsing and pub/sub, not the client's work. One subscriber holds every stream, as an instance would.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { Logger } from '@nestjs/common';

Logger.overrideLogger(false);
const { RedisConnection } = await import('../dist/redis/redis.connection.js');
const { RedisBroker } = await import('../dist/broker/redis/redis.broker.js');

const LEGACY = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local offset, epoch = '', ''
if ARGV[3] == '1' then
  if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[7]) == 1 then redis.call('DEL', KEYS[2]) end
  epoch = redis.call('HGET', KEYS[1], 'epoch')
  offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('ZADD', KEYS[2], offset, offset .. ' ' .. now .. ' ' .. ARGV[2])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[4]) + 1))
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
local message = offset .. ' ' .. epoch .. ' ' .. ARGV[1] .. '\\n' .. ARGV[2]
local id = redis.call('XADD', KEYS[3], 'MINID', '~', now - tonumber(ARGV[8]), '*', 'm', message)
redis.call('PEXPIRE', KEYS[3], 2 * tonumber(ARGV[8]))
redis.call('PUBLISH', ARGV[9], id .. ' ' .. message)
return {offset, epoch, id}`;

const USERS = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const data = JSON.stringify({ id: '6f1c7a0e-0000-4000-8000-000000000000', event: 'order.shipped', payload: { orderId: 42, pad: 'x'.repeat(40) }, ts: Date.now() });

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
const admin = new Redis(url, { retryStrategy: (n) => (n > 50 ? null : 50) });
await admin.ping();
const cpu = async () => {
  const info = await admin.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)[1]);
};

const conn = new RedisConnection(url, 'cost:');
const broker = new RedisBroker(conn, 100, 300_000);
await broker.whenReady(5000);
const streams = Array.from({ length: USERS }, (_, i) => `n:user:u${i}`);
await Promise.all(streams.map((s) => broker.subscribe(s)));
let received = 0;
broker.onPublication(() => received++);
const legacy = new Redis(url);
legacy.defineCommand('legacyPublish', { numberOfKeys: 3, lua: LEGACY });
const legacySub = new Redis(url);
await legacySub.subscribe('legacy:pub');

async function measure(label, run) {
  await run(); // warm-up: scripts loaded, keys created
  const c0 = await cpu();
  for (let r = 0; r < ROUNDS; r++) await run();
  const us = ((await cpu()) - c0) * 1e6;
  const perUser = us / (ROUNDS * USERS);
  console.log(`${label.padEnd(58)} ${perUser.toFixed(1).padStart(7)} µs Redis CPU per user publication`);
  return perUser;
}

const results = {};
results.legacyPerUser = await measure('before: 1000 users as 1000 scripts (+ fan-out log)', () =>
  Promise.all(streams.map((s) => legacy.legacyPublish('cost:meta:' + s, 'cost:hist:' + s, 'cost:log', JSON.stringify(s), data, '1', 100, 300000, 86400000, 'e', 60000, 'legacy:pub'))),
);
results.singlePerUser = await measure('now: 1000 users as 1000 single-user publications', () => Promise.all(streams.map((s) => broker.publish([s], data, { history: true }))));
results.batch100PerUser = await measure('now: 1000 users as 10 publications of 100 users', () =>
  Promise.all(Array.from({ length: 10 }, (_, i) => broker.publish(streams.slice(i * 100, i * 100 + 100), data, { history: true }))),
);
results.batch1000PerUser = await measure('now: 1000 users as 1 publication', () => broker.publish(streams, data, { history: true }));
console.log(`ratio one 1000-user publication vs before: ${(results.batch1000PerUser / results.legacyPerUser).toFixed(2)}×; single-user publications vs before: ${(results.singlePerUser / results.legacyPerUser).toFixed(2)}×`);
console.log(`(subscriber received ${received} publications)`);
console.log(JSON.stringify(results));

await broker.close();
await conn.close();
legacy.disconnect();
legacySub.disconnect();
admin.disconnect();
server.kill('SIGKILL');
process.exit(0);
