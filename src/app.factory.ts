import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module.js';
import { HERALD_CONFIG, type HeraldConfig } from './config/herald-config.js';
import { HeraldWsAdapter } from './connections/herald-ws.adapter.js';

/** Builds a ready-to-listen Herald app: used by main.ts and by every end-to-end test. */
export async function createHeraldApp(options: AppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(options), { bodyParser: false, bufferLogs: true, abortOnError: false });
  const logger = app.get(Logger);
  app.useLogger(logger);
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

  const config = app.get<HeraldConfig>(HERALD_CONFIG);
  // Browsers exchange their JWT for a ticket, usually from another origin: only that route answers CORS,
  // for the origins the upgrade accepts (ALLOWED_ORIGINS, or any when unset). Service routes stay server-to-server.
  const ticketCors = { origin: config.allowedOrigins.length > 0 ? config.allowedOrigins : true, methods: ['POST'], allowedHeaders: ['authorization', 'content-type'], maxAge: 600 };
  app.enableCors((req: { url?: string }, done: (err: null, options: object) => void) => done(null, req.url?.split('?')[0] === '/auth/ticket' ? ticketCors : { origin: false }));
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
