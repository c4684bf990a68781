// Run with --expose-gc: measures the memory broker's heap after its history TTL (issue 11 §3). Prints one JSON line.
import { MemoryBroker } from '../../dist/broker/memory.broker.js';

const [streams, ttlMs, maxStreams] = process.argv.slice(2).map(Number);
const heap = () => {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
};
const before = heap();
const broker = new MemoryBroker(100, ttlMs, Date.now, maxStreams);
const small = JSON.stringify({ event: 'order.shipped', payload: { order: 'x'.repeat(300) } });
for (let i = 0; i < streams; i++) await broker.publish([`user:${i}`], small, { history: true });
const big = 'y'.repeat(900 * 1024);
for (let i = 0; i < 50; i++) await broker.publish(['user:big'], `${big}${i}`, { history: true });
const peak = heap();
await new Promise((resolve) => setTimeout(resolve, ttlMs + Math.min(1000, ttlMs / 10) * 2 + 200));
const after = heap();
console.log(JSON.stringify({ before, peak, after, streams: broker.streamCount }));
await broker.close();
