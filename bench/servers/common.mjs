// What every server under test shares: the IPC protocol with bench/run.mjs.
//   → {cmd:'stats'}                              ← {cmd:'stats', rss, heapUsed, ...} (after GC)
//   → {cmd:'run', id, rate, count, startAt, bytes} broadcasts in-process on an open-loop schedule
//   → {cmd:'exit'}
//   ← {cmd:'ready', port} once listening
import { benchPayload, runSchedule } from '../lib/schedule.mjs';

export function serve({ port, broadcast, connections }) {
  const send = (msg) => process.send?.(msg);
  process.on('message', async (msg) => {
    if (msg.cmd === 'stats') {
      for (let i = 0; i < 3; i++) global.gc?.();
      const m = process.memoryUsage();
      send({ cmd: 'stats', rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, connections: connections() });
    } else if (msg.cmd === 'run') {
      const result = await runSchedule(msg, (seq, t) => broadcast(benchPayload(seq, t, msg.bytes)));
      send({ cmd: 'ran', id: msg.id, ...result });
    } else if (msg.cmd === 'exit') {
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ cmd: 'ready', port });
}
