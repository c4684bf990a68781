import { Logger } from '@nestjs/common';
import { RedisBroker } from '../src/broker/redis/redis.broker.js';
import { RedisConnection } from '../src/redis/redis.connection.js';
import { RedisPresence } from '../src/presence/redis.presence.js';
import { brokerConformance } from './broker/broker.conformance.js';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis.js';

/** The broker contract against real Redis: each backend its own REDIS_KEY_PREFIX, each instance its own connections. */
brokerConformance({
  name: 'redis',
  cluster: true,
  async backend({ historySize, historyTtlMs }) {
    Logger.overrideLogger(false);
    await requireRedis();
    const prefix = uniquePrefix('conformance');
    const opened: Array<{ conn: RedisConnection; broker: RedisBroker; presence: RedisPresence }> = [];
    return {
      async instance() {
        const conn = new RedisConnection(REDIS_URL, prefix);
        const broker = new RedisBroker(conn, historySize, historyTtlMs);
        const presence = new RedisPresence(conn, 2000);
        opened.push({ conn, broker, presence });
        if (!(await broker.whenReady(5000))) throw new Error('Redis broker not ready');
        return { broker, presence };
      },
      async close() {
        for (const { conn, broker, presence } of opened.splice(0)) {
          await presence.close();
          await broker.close();
          await conn.close();
        }
        await deletePrefix(prefix);
      },
    };
  },
});
