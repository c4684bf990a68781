import type { ErrorCode, FieldError } from './protocol.js';

/** Client-side failure codes, beside the server's ErrorCode. */
export type ClientErrorCode =
  | 'not_connected'
  | 'timeout'
  | 'connection_lost'
  | 'frame_too_large'
  | 'ticket_failed'
  | 'token_failed'
  | 'refresh_failed'
  | 'stopped';

/** Every error the client reports: an `error` frame from Herald, or a failure on this side. */
export class HeraldError extends Error {
  override readonly name = 'HeraldError';

  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    /** The request id the server's error answered, if any. */
    readonly id?: string,
    /** Field errors of an `invalid` answer. */
    readonly errors?: FieldError[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
