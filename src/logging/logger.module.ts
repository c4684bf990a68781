import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import { pinoHttp, type Options as PinoHttpOptions } from 'pino-http';
import { injectedContexts, Logger, PINO_ROOT, PinoLogger, pinoLoggerToken } from './pino-logger.js';

/** What LoggerModule takes: pino-http's options (pino's own; requests are logged from a Fastify hook, see logger.options.ts). */
export interface Params {
  pinoHttp: PinoHttpOptions;
}

const PARAMS = Symbol('LOGGER_PARAMS');

/**
 * pino for the whole app, in the shape of nestjs-pino (which needs Node >= 22.12; Herald runs on 20):
 * one pino instance (pino-http's, with its request and response serializers), `Logger` for Nest, `@InjectPinoLogger(context)`.
 */
@Global()
@Module({})
export class LoggerModule {
  static forRootAsync(options: { inject: Array<string | symbol>; useFactory: (...deps: any[]) => Params }): DynamicModule {
    const contextual: Provider[] = injectedContexts().map((context) => ({
      provide: pinoLoggerToken(context),
      inject: [PINO_ROOT],
      useFactory: (root: Pino) => new PinoLogger(root, context),
    }));
    const providers: Provider[] = [
      { provide: PARAMS, inject: options.inject, useFactory: options.useFactory },
      { provide: PINO_ROOT, inject: [PARAMS], useFactory: (params: Params) => pinoHttp(params.pinoHttp).logger },
      Logger,
      ...contextual,
    ];
    return { module: LoggerModule, providers, exports: [PINO_ROOT, Logger, ...contextual.map((p) => (p as { provide: string }).provide)] };
  }
}
