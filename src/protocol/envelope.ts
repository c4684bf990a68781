import { CloseCode, TYPE_PATTERN, type ErrorCode, type FieldError } from '@herald/client/protocol';
import { WsException } from '@nestjs/websockets';
import { plainToInstance } from 'class-transformer';
import { IsString, Matches, MaxLength, ValidateIf, ValidationError, validateSync } from 'class-validator';
import { reservedKeyMessage, reservedKeyPath } from './reserved-keys.js';

/** The wire vocabulary has one source, shared with the SDK (client/src/protocol.ts). */
export { CloseCode, TYPE_PATTERN, type ErrorCode, type FieldError };

/** One inbound frame after parsing: what every handler and filter sees. */
export class Frame {
  @IsString()
  @Matches(TYPE_PATTERN, { message: 'type must be 1 to 64 characters of [a-z0-9_.:-]' })
  type: string;

  // absent is fine; `null` is not a string, and must not come back as `"id":null`
  @ValidateIf((frame: Frame) => frame.id !== undefined)
  @IsString()
  @MaxLength(64)
  id?: string;

  data?: unknown;
}

/** A handler's reply; the adapter adds the request's `id`. */
export interface Reply {
  type: string;
  data?: unknown;
}

/** Thrown by guards, pipes and handlers; the WS exception filter turns it into an `error` frame. */
export class HeraldWsException extends WsException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    /** Close the connection with this code after the error frame is sent. */
    readonly closeCode?: number,
  ) {
    super(message);
  }
}

/** Flattens class-validator's tree into `field: messages` pairs (`recover.user.offset`). */
export function fieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...fieldErrors(e.children ?? [], field)];
  });
}

export type ParseResult = { frame: Frame } | { error: HeraldWsException; id?: string };

const pickId = (value: unknown) =>
  typeof value === 'string' && value.length <= 64 ? value : undefined;

/** PROTOCOL §3: text frame → validated envelope, or the error to answer with. */
export function parseFrame(raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): ParseResult {
  if (isBinary) {
    return { error: new HeraldWsException('binary_unsupported', 'binary frames are not supported; send UTF-8 JSON text') };
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.concat(raw as Buffer[]).toString('utf8'));
  } catch {
    return { error: new HeraldWsException('bad_json', 'frame is not valid JSON') };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { error: new HeraldWsException('bad_json', 'frame must be a JSON object') };
  }
  const obj = value as Record<string, unknown>;
  const frame = plainToInstance(Frame, { type: obj.type, id: obj.id });
  const errors = validateSync(frame);
  if (errors.length > 0) {
    return {
      error: new HeraldWsException('invalid', 'invalid envelope', fieldErrors(errors)),
      id: pickId(obj.id),
    };
  }
  if (nestedDeeperThan(obj.data, MAX_DATA_DEPTH)) {
    const messages = [`data must not be nested more than ${MAX_DATA_DEPTH} levels deep`];
    return { error: new HeraldWsException('invalid', 'invalid data', [{ field: 'data', messages }]), id: frame.id };
  }
  const reserved = reservedKeyPath(obj.data, 'data');
  if (reserved !== undefined) {
    return { error: new HeraldWsException('invalid', 'invalid data', [{ field: reserved, messages: [reservedKeyMessage(reserved)] }]), id: frame.id };
  }
  frame.data = obj.data;
  return { frame };
}

/** Deeper `data` is refused up front: validators and encoders recurse, and would overflow the stack. */
export const MAX_DATA_DEPTH = 64;

/** Iterative, so that measuring a hostile value cannot overflow the stack itself. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The one encoder for outbound frames. Returns a Buffer so a fan-out reuses one copy. */
export function encode(type: string, data?: unknown, id?: string): Buffer {
  const envelope: Record<string, unknown> = { type };
  if (data !== undefined) envelope.data = data;
  if (id !== undefined) envelope.id = id;
  return Buffer.from(JSON.stringify(envelope));
}

export function encodeError(error: HeraldWsException, id?: string): Buffer {
  const data: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.errors) data.errors = error.errors;
  return encode('error', data, id);
}
