import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger, PINO_ROOT } from './logging/pino-logger.js';
import { AppModule, AppOptions } from './app.module.js';
import { HERALD_CONFIG, type HeraldConfig } from './config/herald-config.js';
import { registerTicketCors } from './auth/ticket-cors.js';
import { demoPageEnabled } from './demo/demo-page.enabled.js';
import { registerJsonBodyParser } from './notifications/json-body.middleware.js';
import { hardenHttpServer } from './ops/http-hardening.js';
import { registerAccessLog } from './logging/logger.options.js';
import { HeraldWsAdapter } from './connections/herald-ws.adapter.js';

/** Builds a ready-to-listen Herald app: used by main.ts and by every end-to-end test. */
export async function createHeraldApp(options: AppOptions = {}): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    // as on Express: `/notifications/` and `/Notifications` are `/notifications`; user ids and channel names in paths may be long
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false, maxParamLength: 1024 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(await AppModule.forRoot(options), adapter, { bodyParser: false, bufferLogs: true, abortOnError: false });
  const logger = app.get(Logger);
  app.useLogger(logger);
  const config = app.get<HeraldConfig>(HERALD_CONFIG);
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  registerJsonBodyParser(fastify, config.maxBodyBytes);
  // In development (the demo tools on), POST /dev/token answers CORS too, so that an app on another origin can get a JWT.
  registerTicketCors(fastify, config.allowedOrigins, demoPageEnabled(config) ? ['/auth/ticket', '/dev/token'] : ['/auth/ticket']);
  registerAccessLog(fastify, app.get(PINO_ROOT));
  app.useWebSocketAdapter(new HeraldWsAdapter(app));
  const docs = new DocumentBuilder()
    .setTitle('Herald')
    .setDescription(
      'Realtime notifications. WebSockets: /demo and /notification (see PROTOCOL.md); services use this REST API with an API key.',
    )
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    // relative: the instance serving this document (REST and WebSockets share its port)
    .addServer('/', 'this Herald instance')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'User JWT' }, 'user-jwt')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    // an API key is an opaque string, not a JWT: addBearerAuth would say bearerFormat JWT
    .addSecurity('api-key-bearer', { type: 'http', scheme: 'bearer', description: 'Service API key (one of SERVICE_API_KEYS)' })
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, docs), { jsonDocumentUrl: 'docs-json' });

  hardenHttpServer(app, config);
  if (config.devKeys.jwt || config.devKeys.apiKeys) {
    const which = [config.devKeys.jwt && 'JWT_SECRET', config.devKeys.apiKeys && 'SERVICE_API_KEYS'].filter(Boolean).join(' and ');
    logger.warn(
      `!!! DEVELOPMENT KEYS IN USE: ${which} not set, so Herald runs on its built-in, publicly known keys. ` +
        'Anyone can mint tokens. Set them before exposing this instance (NODE_ENV=production refuses to start without them). !!!',
      'Herald',
    );
  }
  if (config.jwt.secret && !config.devKeys.jwt && config.jwt.secret.length < 32) {
    logger.warn('JWT_SECRET is shorter than 32 characters: HS256 wants a secret of at least 256 bits', 'Herald');
  }
  return app;
}

