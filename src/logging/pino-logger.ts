import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import type { Logger as Pino } from 'pino';

/** The one pino instance of an app, the same that pino-http logs requests with. */
export const PINO_ROOT = Symbol('PINO_ROOT');

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** A pino logger with a fixed `context` field, for `@InjectPinoLogger('name')` (nestjs-pino's API). */
export class PinoLogger {
  constructor(
    readonly logger: Pino,
    private readonly context: string,
  ) {}

  trace(obj: object | string, msg?: string): void {
    this.call('trace', obj, msg);
  }
  debug(obj: object | string, msg?: string): void {
    this.call('debug', obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.call('info', obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.call('warn', obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.call('error', obj, msg);
  }

  private call(level: Level, obj: object | string, msg?: string): void {
    if (typeof obj === 'string') this.logger[level]({ context: this.context }, obj);
    else this.logger[level]({ context: this.context, ...(obj instanceof Error ? { err: obj } : obj) }, msg);
  }
}

const injected = new Set<string>();
export const pinoLoggerToken = (context: string) => `PinoLogger:${context}`;

/** Injects a PinoLogger whose lines carry `context` (providers are made by LoggerModule). */
export function InjectPinoLogger(context: string): ParameterDecorator {
  injected.add(context);
  return Inject(pinoLoggerToken(context));
}
export const injectedContexts = (): string[] => [...injected];

/**
 * Nest's LoggerService over pino (app.useLogger): `log(message, ...params, context)`, as nestjs-pino's
 * Logger reads it. An object message is merged into the line; an Error becomes `err`.
 */
@Injectable()
export class Logger implements LoggerService {
  constructor(@Inject(PINO_ROOT) private readonly pino: Pino) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.call('trace', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.call('debug', message, params);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.call('info', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.call('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.call('error', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.call('fatal', message, params);
  }

  private call(level: Level, message: unknown, params: unknown[]): void {
    const fields: Record<string, unknown> = {};
    let rest = params;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      rest = params.slice(0, -1);
    }
    if (message instanceof Error) this.pino[level]({ ...fields, err: message }, ...(rest as [string?]));
    else if (typeof message === 'object' && message !== null) this.pino[level]({ ...fields, ...message }, ...(rest as [string?]));
    else if (level === 'error' && rest.length === 1 && typeof rest[0] === 'string' && /\n\s*at /.test(rest[0])) {
      // Nest's exception handlers call error(message, stack, context)
      const err = new Error(String(message));
      err.stack = rest[0];
      this.pino.error({ ...fields, err });
    } else this.pino[level](fields, String(message), ...(rest as []));
  }
}
