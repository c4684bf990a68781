// Herald under test: the real app from dist/ in production config, in this process so
// the benchmark can also publish through BroadcastService directly (no REST hop).
import { randomUUID } from 'node:crypto';
import { serve } from './common.mjs';

Object.assign(process.env, {
  NODE_ENV: 'production',
  JWT_SECRET: process.env.BENCH_JWT_SECRET,
  SERVICE_API_KEYS: process.env.BENCH_API_KEY,
  MAX_CONNECTIONS_PER_USER: '10',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
});
const { createHeraldApp } = await import('../../dist/app.factory.js');
// the layer redraw moves these; the first path that exists wins
const firstOf = async (...paths) => {
  for (const path of paths) {
    try {
      return await import(path);
    } catch (err) {
      if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    }
  }
  throw new Error(`none of ${paths.join(', ')} exists in dist/`);
};
const { BroadcastService } = await firstOf('../../dist/streams/broadcast.service.js', '../../dist/realtime/broadcast.service.js');
const { ConnectionRegistry } = await firstOf('../../dist/connections/connection.registry.js', '../../dist/realtime/connection.registry.js');

const app = await createHeraldApp();
await app.listen(0, '127.0.0.1');
const broadcasts = app.get(BroadcastService);
const registry = app.get(ConnectionRegistry);
serve({
  port: app.getHttpServer().address().port,
  connections: () => registry.size,
  broadcast: (payload) =>
    broadcasts.notifyAll({ id: randomUUID(), event: 'bench', payload, ts: Date.now() }).catch((err) => console.error('notifyAll failed', err)),
});
