import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { CloseCode } from '../protocol/envelope.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { DrainState } from '../connections/drain.state.js';

/** How long sockets get to answer the 1001 close frame, at most (and at most half the budget). */
const SOCKET_GRACE_MS = 5_000;
const POLL_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Graceful drain (PROTOCOL §8): readiness and upgrades turn 503, every socket
 * is closed with 1001, in-flight REST requests finish. Runs once, from the
 * SIGTERM/SIGINT handler in main.ts or from `app.close()`; both await the same
 * promise. It only waits: closing the HTTP server and the broker is
 * `app.close()`'s job, after this.
 */
@Injectable()
export class DrainService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Drain');
  private inFlight = 0;
  private running?: Promise<void>;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly state: DrainState,
    private readonly registry: ConnectionRegistry,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** REST requests being served right now. */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  onApplicationBootstrap(): void {
    const server = this.server();
    server?.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      this.inFlight++;
      res.once('close', () => this.inFlight--);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /**
   * Drains within SHUTDOWN_TIMEOUT_MS, leaving a fifth of it (at most 1 s) for
   * `app.close()`; what is still open by then is cut, not waited for.
   */
  drain(): Promise<void> {
    return (this.running ??= this.run());
  }

  private async run(): Promise<void> {
    const started = Date.now();
    const budget = this.config.shutdownTimeoutMs;
    const deadline = started + budget - Math.min(1_000, budget / 5);
    this.state.draining = true;
    this.log.log({ event: 'drain.start', connections: this.registry.size, requestsInFlight: this.inFlight }, 'draining');

    const socketDeadline = Math.min(deadline, started + Math.min(SOCKET_GRACE_MS, budget / 2));
    await this.until(() => this.closeAll(CloseCode.GOING_AWAY) === 0, socketDeadline);
    const cut = this.registry.size;
    for (const conn of this.registry.all) conn.kill(CloseCode.GOING_AWAY, 'shutting down');
    await this.until(() => this.registry.size === 0, deadline);
    await this.until(() => this.inFlight === 0, deadline);
    const requestsCut = this.inFlight;
    // out of time: cut what is left, so that closing the HTTP server does not wait for it
    if (requestsCut > 0) this.server()?.closeAllConnections();

    this.log.log({ event: 'drain.done', durationMs: Date.now() - started, socketsCut: cut, requestsCut }, 'drained');
  }

  private server(): Server | undefined {
    return this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
  }

  /** Sends 1001 to every open socket (also ones admitted since the last call); returns how many are left. */
  private closeAll(code: number): number {
    for (const conn of this.registry.all) conn.close(code, 'shutting down');
    return this.registry.size;
  }

  private async until(done: () => boolean, deadline: number): Promise<void> {
    while (!done() && Date.now() < deadline) await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
  }
}
