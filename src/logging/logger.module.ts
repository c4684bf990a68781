import { type DynamicModule, Global, Inject, type MiddlewareConsumer, Module, type NestModule, type Provider, RequestMethod } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import { pinoHttp, type Options as PinoHttpOptions } from 'pino-http';
import { injectedContexts, Logger, PINO_ROOT, PinoLogger, pinoLoggerToken } from './pino-logger.js';

/** What LoggerModule takes: pino-http's options (pino's own, plus request logging). */
export interface Params {
  pinoHttp: PinoHttpOptions;
  /** Where pino-http's per-request middleware runs; `[]` turns it off (Herald logs requests from a Fastify hook). */
  forRoutes?: unknown[];
}

const HTTP_MIDDLEWARE = Symbol('HTTP_MIDDLEWARE');
const PARAMS = Symbol('LOGGER_PARAMS');
type HttpMiddleware = ReturnType<typeof pinoHttp>;

/**
 * pino for the whole app, in the shape of nestjs-pino (which needs Node >= 22.12; Herald runs on 20):
 * one pino instance, pino-http logging every request, `Logger` for Nest, `@InjectPinoLogger(context)`.
 */
@Global()
@Module({})
export class LoggerModule implements NestModule {
  static forRootAsync(options: { inject: Array<string | symbol>; useFactory: (...deps: any[]) => Params }): DynamicModule {
    const contextual: Provider[] = injectedContexts().map((context) => ({
      provide: pinoLoggerToken(context),
      inject: [PINO_ROOT],
      useFactory: (root: Pino) => new PinoLogger(root, context),
    }));
    const providers: Provider[] = [
      { provide: PARAMS, inject: options.inject, useFactory: options.useFactory },
      { provide: HTTP_MIDDLEWARE, inject: [PARAMS], useFactory: (params: Params) => pinoHttp(params.pinoHttp) },
      { provide: PINO_ROOT, inject: [HTTP_MIDDLEWARE], useFactory: (middleware: HttpMiddleware) => middleware.logger },
      Logger,
      ...contextual,
    ];
    return { module: LoggerModule, providers, exports: [PINO_ROOT, Logger, ...contextual.map((p) => (p as { provide: string }).provide)] };
  }

  constructor(
    @Inject(HTTP_MIDDLEWARE) private readonly middleware: HttpMiddleware,
    @Inject(PARAMS) private readonly params: Params,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    if (this.params.forRoutes?.length === 0) return;
    consumer.apply(this.middleware).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}
