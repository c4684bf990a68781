// Scenario 6: channels routed by interest (issue #9). 1k channels × 10 subscribers, one publication
// to one random channel at a steady rate through POST /notifications/channels.
//   1 instance: everything on one Herald.
//   3 instances on one Redis: A holds every subscriber, B holds only connections subscribed to
//   other channels (it has no subscriber of what is published), C takes the REST calls.
//   The target: B spends under 0.1× the CPU of A.
import { Redis } from 'ioredis';
import { cpuSeconds } from './proc.mjs';
import { REDIS_URL } from './cluster.mjs';

const FIELDS = ['deliveriesPerCpuSec', 'p50Ms', 'p99Ms', 'p999Ms', 'lost', 'serverCpuPct'];
const PREFIX = 'bench:';

export async function channels(ctx, name, run) {
  if (name !== 'herald') return;
  const { P, clients, recorder } = ctx;
  const channelCount = P.channelCount;
  const subscribers = channelCount * P.channelSubscribers;
  const env = { PUBLIC_CHANNEL_PREFIXES: `${PREFIX},idle:`, MAX_CONNECTIONS_PER_USER: '10' };
  const variant = `${channelCount} channels × ${P.channelSubscribers}, ${P.channelRate}/s`;
  let runs = 0;
  const publish = (port, count) => (startAt) =>
    ctx.publisher.request(
      { cmd: 'run', id: `channels-${run}-${++runs}`, mode: 'channels', channelPrefix: PREFIX, channelCount, target: { host: '127.0.0.1', port }, apiKey: ctx.secrets.BENCH_API_KEY, rate: P.channelRate, count, bytes: P.bytes, startAt },
      'ran',
    );
  /** Warm-up (JIT, first connections), then the measured run; CPU per process over the measured run. */
  const measure = async (pids, port) => {
    const opts = { rate: P.channelRate, perReceiver: false, perPublish: P.channelSubscribers, cpuPids: pids };
    await clients.measure({ ...opts, count: 20, start: publish(port, 20), quietMs: 1000 });
    const count = P.channelRate * P.secs;
    const before = pids.map(cpuSeconds);
    const started = Date.now();
    const m = await clients.measure({ ...opts, count, start: publish(port, count) });
    const wall = (Date.now() - started) / 1000;
    return { m, cpu: pids.map((pid, i) => cpuSeconds(pid) - before[i]), wall };
  };

  // 1 instance
  const single = await ctx.startServer(name, env);
  try {
    const batch = await clients.connect(single, subscribers, single.port, { channelPrefix: PREFIX, channelCount });
    if (batch.failed) recorder.problem(`herald-channels: ${batch.failed} subscribers failed ${JSON.stringify(batch.errors)}`);
    const { m } = await measure([single.child.pid], single.port);
    if (m.lost || m.dups) recorder.problem(`herald-channels (1 instance): ${m.lost} lost, ${m.dups} duplicated of ${m.expected}`);
    recorder.measurement('channels', variant, 'herald 1 instance', m, FIELDS);
    console.log(`  herald channels, 1 instance: ${Math.round(m.deliveriesPerCpuSec)} deliveries/CPU-s, p99 ${m.p99Ms.toFixed(1)} ms, lost ${m.lost}`);
  } finally {
    await clients.close();
    await single.child.stop();
  }

  // 3 instances on Redis
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
  } catch {
    ctx.note(`channel scenario, 3 instances: skipped, no Redis at ${REDIS_URL}`);
    return;
  }
  const prefix = `herald-bench-ch-${process.pid}-${run}:`;
  const nodes = [];
  try {
    for (let i = 0; i < 3; i++) nodes.push(await ctx.startServer(name, { ...env, REDIS_URL, REDIS_KEY_PREFIX: prefix }));
    const [a, b, c] = nodes;
    const onA = await clients.connect(a, subscribers, a.port, { channelPrefix: PREFIX, channelCount });
    // B: as many connections as channels, each holding a channel nobody publishes to
    const onB = await clients.connect(b, channelCount, b.port, { channelPrefix: 'idle:', channelCount });
    if (onA.failed || onB.failed) recorder.problem(`herald-channels cluster: ${onA.failed + onB.failed} subscribers failed ${JSON.stringify({ ...onA.errors, ...onB.errors })}`);
    const { m, cpu, wall } = await measure([a.child.pid, b.child.pid, c.child.pid], c.port);
    if (m.lost || m.dups) recorder.problem(`herald-channels (3 instances): ${m.lost} lost, ${m.dups} duplicated of ${m.expected}`);
    const [cpuA, cpuB, cpuC] = cpu;
    const r = { ...m, deliveriesPerCpuSec: m.received / (cpuA + cpuB + cpuC), cpuDeliveringPct: (cpuA / wall) * 100, cpuNoSubscriberPct: (cpuB / wall) * 100, cpuRestPct: (cpuC / wall) * 100, noSubscriberVsDelivering: cpuB / cpuA };
    recorder.measurement('channels', variant, 'herald 3 instances', r, [...FIELDS, 'cpuDeliveringPct', 'cpuNoSubscriberPct', 'cpuRestPct', 'noSubscriberVsDelivering']);
    console.log(
      `  herald channels, 3 instances: ${Math.round(r.deliveriesPerCpuSec)} deliveries/CPU-s, p99 ${m.p99Ms.toFixed(1)} ms, lost ${m.lost}; ` +
        `CPU delivering ${r.cpuDeliveringPct.toFixed(1)}%, no subscriber ${r.cpuNoSubscriberPct.toFixed(2)}% (${r.noSubscriberVsDelivering.toFixed(3)}×, target < 0.1×), REST ${r.cpuRestPct.toFixed(1)}%`,
    );
    if (!(r.noSubscriberVsDelivering < 0.1)) ctx.note(`channel target missed: the instance without subscribers spent ${r.noSubscriberVsDelivering.toFixed(3)}× the delivering one's CPU`);
  } finally {
    await clients.close();
    for (const node of nodes) await node.child.stop();
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
    redis.disconnect();
  }
}
