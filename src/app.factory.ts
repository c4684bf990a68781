import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module.js';
import { HERALD_CONFIG, type HeraldConfig } from './config/herald-config.js';
import { registerJsonBodyParser } from './notifications/json-body.middleware.js';
import { hardenHttpServer } from './ops/http-hardening.js';
import { HeraldWsAdapter } from './realtime/herald-ws.adapter.js';

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
  registerJsonBodyParser(app.getHttpAdapter().getInstance(), config.maxBodyBytes);
  app.useWebSocketAdapter(new HeraldWsAdapter(app));
  const docs = new DocumentBuilder()
    .setTitle('Herald')
    .setDescription(
      'Realtime notifications. WebSockets: /demo and /notification (see PROTOCOL.md); services use this REST API with an API key.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'User JWT' }, 'user-jwt')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Service API key' }, 'api-key-bearer')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, docs), { jsonDocumentUrl: 'docs-json' });

  hardenHttpServer(app, config);
  // Browsers exchange their JWT for a ticket, usually from another origin: only that route answers CORS,
  // for the origins the upgrade accepts (ALLOWED_ORIGINS, or any when unset). Service routes stay server-to-server.
  const ticketCors = { origin: config.allowedOrigins.length > 0 ? config.allowedOrigins : true, methods: ['POST'], allowedHeaders: ['authorization', 'content-type'], maxAge: 600 };
  const closed = { origin: false };
  app.enableCors({ delegator: (req, done) => done(null, isTicketRoute(req.url) ? ticketCors : closed) });
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

const isTicketRoute = (url = '') => url.startsWith('/auth/ticket') && (url.length === 12 || url[12] === '?' || url === '/auth/ticket/');
