import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import { BROKER, type Broker } from '../broker/broker.js';
import { MemoryBroker } from '../broker/memory.broker.js';
import { RedisBroker } from '../broker/redis/redis.broker.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { MemoryPresence } from '../presence/memory.presence.js';
import { PRESENCE, type PresenceManager } from '../presence/presence.js';
import { RedisPresence } from '../presence/redis.presence.js';
import { REDIS, RedisConnection } from '../redis/redis.connection.js';
import { RedisTicketStore } from '../tickets/redis.ticket-store.js';
import { MemoryTicketStore, TICKETS, type TicketStore } from '../tickets/ticket.store.js';

/** How long startup waits for Redis before serving anyway (readiness stays 503 until it connects). */
const STARTUP_REDIS_WAIT_MS = 5000;

/** Waits for Redis at startup (bounded), and closes whatever backend was chosen, once, at shutdown. */
@Injectable()
class StoresLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(BROKER) private readonly broker: Broker,
    @Inject(PRESENCE) private readonly presence: PresenceManager,
    @Inject(REDIS) private readonly redis: RedisConnection | null,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!(this.broker instanceof RedisBroker)) return;
    if (!(await this.broker.whenReady(STARTUP_REDIS_WAIT_MS))) {
      new Logger('StoresModule').warn('Redis not reachable yet; serving with /health/ready 503 until it is');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.presence.close(), this.broker.close()]);
    await this.redis?.close();
  }
}

/**
 * Chooses the backend of every store at startup (the broker, presence, tickets):
 * everything in memory without REDIS_URL, everything in Redis with it (PROTOCOL §9).
 * Nothing outside this module knows which one runs.
 */
@Global()
@Module({})
export class StoresModule {
  static forRoot(): DynamicModule {
    const providers: Provider[] = [
      {
        provide: REDIS,
        inject: [HERALD_CONFIG],
        useFactory: (c: HeraldConfig) => (c.redisUrl ? new RedisConnection(c.redisUrl, c.redisKeyPrefix) : null),
      },
      {
        provide: BROKER,
        inject: [HERALD_CONFIG, REDIS],
        useFactory: (c: HeraldConfig, r: RedisConnection | null): Broker =>
          r ? new RedisBroker(r, c.historySize, c.historyTtlMs) : new MemoryBroker(c.historySize, c.historyTtlMs, Date.now, c.historyMaxStreams),
      },
      {
        provide: PRESENCE,
        inject: [HERALD_CONFIG, REDIS],
        useFactory: (c: HeraldConfig, r: RedisConnection | null): PresenceManager =>
          r ? new RedisPresence(r, c.presenceTtlMs) : new MemoryPresence(),
      },
      {
        provide: TICKETS,
        inject: [HERALD_CONFIG, REDIS],
        useFactory: (c: HeraldConfig, r: RedisConnection | null): TicketStore =>
          r ? new RedisTicketStore(r, c.ticketTtlMs) : new MemoryTicketStore(c.ticketTtlMs),
      },
      StoresLifecycle,
    ];
    return { module: StoresModule, providers, exports: [REDIS, BROKER, PRESENCE, TICKETS] };
  }
}
