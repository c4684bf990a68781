import { Logger } from 'nestjs-pino';
import { createHeraldApp } from './app.factory.js';
import { ConfigError } from './config/env.validation.js';
import { HERALD_CONFIG, type HeraldConfig } from './config/herald-config.js';

async function main() {
  const app = await createHeraldApp();
  const config = app.get<HeraldConfig>(HERALD_CONFIG);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(config.port, config.host ?? '0.0.0.0');
  app.get(Logger).log(`Herald listening on ${await app.getUrl()} (REST, /demo, /notification, /docs)`, 'Herald');
}

main().catch((err) => {
  const message = err instanceof ConfigError ? err.message : (err?.stack ?? String(err));
  process.stderr.write(`Herald failed to start: ${message}\n`);
  process.exit(1);
});
