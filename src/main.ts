import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { Logger } from './logging/pino-logger.js';
import { createHeraldApp } from './app.factory.js';
import { ConfigError } from './config/env.validation.js';
import { HERALD_CONFIG, type HeraldConfig } from './config/herald-config.js';
import { DrainService } from './ops/drain.service.js';
import { describeListenAddress } from './ops/listen-address.js';

/**
 * SIGTERM/SIGINT: drain (PROTOCOL §8), close the app, exit 0; a hard timer
 * exits 1 at SHUTDOWN_TIMEOUT_MS whatever still hangs, and a second signal
 * exits at once.
 */
function drainOnSignals(app: INestApplication, timeoutMs: number): void {
  const logger = app.get(Logger);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without finishing the drain`, 'Herald');
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal} received: draining (at most ${timeoutMs} ms)`, 'Herald');
    setTimeout(() => {
      logger.error(`shutdown did not finish within SHUTDOWN_TIMEOUT_MS=${timeoutMs}; exiting`, 'Herald');
      process.exit(1);
    }, timeoutMs).unref();
    app
      .get(DrainService)
      .drain()
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'shutdown failed', 'Herald');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function main() {
  const app = await createHeraldApp();
  const config = app.get<HeraldConfig>(HERALD_CONFIG);
  drainOnSignals(app, config.shutdownTimeoutMs);
  await app.listen(config.port, config.host ?? '0.0.0.0');
  const bound = app.getHttpServer().address() as AddressInfo | string | null;
  app.get(Logger).log(`Herald listening on ${describeListenAddress(bound)} (REST, /demo, /notification, /docs)`, 'Herald');
}

main().catch((err) => {
  const message = err instanceof ConfigError ? err.message : (err?.stack ?? String(err));
  process.stderr.write(`Herald failed to start: ${message}\n`);
  process.exit(1);
});
