import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import { MemoryTicketStore, TICKETS, type TicketStore } from '../auth/ticket.store.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { BROKER, type Broker, IDEMPOTENCY, PRESENCE, type PresenceManager } from './broker.js';
import { MemoryBroker } from './memory.broker.js';
import { MemoryIdempotency, MemoryPresence } from './memory.stores.js';

/** Closes whatever backend was chosen, once, at shutdown. */
@Injectable()
class BrokerShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(BROKER) private readonly broker: Broker,
    @Inject(PRESENCE) private readonly presence: PresenceManager,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.presence.close(), this.broker.close()]);
  }
}

/**
 * Chooses the backend at startup: everything in memory without REDIS_URL.
 * Nothing outside this module knows which one runs.
 */
@Global()
@Module({})
export class BrokerModule {
  static forRoot(): DynamicModule {
    const providers: Provider[] = [
      {
        provide: BROKER,
        inject: [HERALD_CONFIG],
        useFactory: (c: HeraldConfig): Broker => new MemoryBroker(c.historySize, c.historyTtlMs),
      },
      { provide: PRESENCE, useFactory: (): PresenceManager => new MemoryPresence() },
      { provide: IDEMPOTENCY, useFactory: () => new MemoryIdempotency() },
      {
        provide: TICKETS,
        inject: [HERALD_CONFIG],
        useFactory: (c: HeraldConfig): TicketStore => new MemoryTicketStore(c.ticketTtlMs),
      },
      BrokerShutdown,
    ];
    return { module: BrokerModule, providers, exports: [BROKER, PRESENCE, IDEMPOTENCY, TICKETS] };
  }
}
