import { ArgumentsHost, Catch, Logger } from '@nestjs/common';
import { BaseWsExceptionFilter } from '@nestjs/websockets';
import { connectionOf } from '../realtime/connection.js';
import { Frame, HeraldWsException } from './envelope.js';

/** Turns anything a WS guard, pipe or handler throws into the contract's `error` frame. */
@Catch()
export class WsErrorFilter extends BaseWsExceptionFilter {
  private readonly log = new Logger('WsErrorFilter');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const conn = connectionOf(ws.getClient());
    const frame = ws.getData<Frame | undefined>();
    if (!conn) return;
    let error: HeraldWsException;
    if (exception instanceof HeraldWsException) {
      error = exception;
    } else {
      this.log.error({ err: exception, connectionId: conn.id, type: frame?.type }, 'handler failed');
      error = new HeraldWsException('internal', 'internal error');
    }
    conn.sendError(error, frame?.id);
    if (error.closeCode) conn.close(error.closeCode, error.message);
  }
}
