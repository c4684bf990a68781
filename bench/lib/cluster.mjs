// Scenario 4: three Herald instances on one Redis, clients spread over them, a REST
// broadcast on one instance; CPU counted over the three instances and Redis.
import { Redis } from 'ioredis';

const FIELDS = ['deliveriesPerCpuSec', 'p50Ms', 'p99Ms', 'p999Ms', 'lastClientMs', 'lost', 'serverCpuPct'];
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function cluster(ctx, name, run) {
  if (name !== 'herald') return;
  const { P, clients, recorder } = ctx;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
  } catch {
    if (!ctx.redisNoted) ctx.note(`cluster scenario skipped: no Redis at ${REDIS_URL} (start one: redis-server --daemonize yes --port 6379 --save "")`);
    ctx.redisNoted = true;
    return;
  }
  const prefix = `herald-bench-${process.pid}-${run}:`;
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))[1]);
  const nodes = [];
  try {
    for (let i = 0; i < 3; i++) nodes.push(await ctx.startServer(name, { REDIS_URL, REDIS_KEY_PREFIX: prefix }));
    for (const [i, node] of nodes.entries()) {
      const share = Math.floor(P.clusterN / 3) + (i < P.clusterN % 3 ? 1 : 0);
      const batch = await clients.connect(node, share);
      if (batch.failed) recorder.problem(`herald-cluster: ${batch.failed} connects failed on instance ${i} ${JSON.stringify(batch.errors)}`);
    }
    const publish = (rate, count) => (startAt) =>
      ctx.publisher.request(
        { cmd: 'run', id: `cluster-${run}-${count}`, mode: 'broadcast', target: { host: '127.0.0.1', port: nodes[0].port }, apiKey: ctx.secrets.BENCH_API_KEY, rate, count, bytes: P.bytes, startAt },
        'ran',
      );
    const cpuPids = [...nodes.map((n) => n.child.pid), redisPid];
    await clients.measure({ rate: P.rate * 4, count: 5, cpuPids, start: publish(P.rate * 4, 5), quietMs: 1000 });
    const count = P.rate * P.secs;
    const m = await clients.measure({
      rate: P.rate,
      count,
      cpuPids,
      start: publish(P.rate, count),
    });
    if (m.lost || m.dups) recorder.problem(`herald-cluster: ${m.lost} lost, ${m.dups} duplicated of ${m.expected}`);
    const variant = `N=${P.clusterN} ${P.rate}/s ${P.bytes} B`;
    recorder.measurement('cluster', variant, 'herald-cluster', m, FIELDS);
    const single = ctx.lastFanout;
    if (single) {
      recorder.measurement('cluster', variant, 'herald-rest', { ...single, percentiles: undefined }, FIELDS);
      recorder.metric('cluster', variant, 'herald-cluster', 'cpuPerDeliveryVsSingle', single.deliveriesPerCpuSec / m.deliveriesPerCpuSec);
    }
    console.log(`  herald-cluster (3 instances + Redis): ${Math.round(m.deliveriesPerCpuSec)} deliveries/CPU-s, p99 ${m.p99Ms.toFixed(1)} ms, lost ${m.lost}`);
  } finally {
    await clients.close();
    for (const node of nodes) await node.child.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}
