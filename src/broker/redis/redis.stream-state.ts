import type { RedisConnection } from '../../redis/redis.connection.js';
import type { HistoryResult, Publication, StreamPosition } from '../broker.js';

/** Channels per SUBSCRIBE/UNSUBSCRIBE command and streams per position read (as centrifuge batches). */
export const SUBSCRIBE_BATCH = 512;

/** A publication as pub/sub brought it: its data may still be to read (`ref`), or gone (`lost`). */
export interface Incoming extends Publication {
  ref?: string;
  lost?: boolean;
}

/** Parses a pub/sub message (format in redis.scripts.ts): `"<offset> <epoch>\n<data>"` or `"<offset> <epoch> @<ref>\n"`. */
export function parseStreamMessage(stream: string, message: string): Incoming {
  const space = message.indexOf(' ');
  const newline = message.indexOf('\n', space + 1);
  if (space < 0 || newline < 0) throw new Error('malformed stream message');
  const offset = Number(message.slice(0, space));
  const head = message.slice(space + 1, newline);
  const at = head.indexOf(' @');
  if (at < 0) return { stream, offset, epoch: head, data: message.slice(newline + 1) };
  return { stream, offset, epoch: head.slice(0, at), data: '', ref: head.slice(at + 2) };
}

/** Where this instance stands in one subscribed stream. */
export interface StreamState {
  /** The last offset handed to the handler (or known to be covered by the subscriber's own history read). */
  offset: number;
  /** '' until the stream's epoch is known (no publication and no history read yet). */
  epoch: string;
  /** Non-null while catching up or (re)subscribing: live publications wait here, in arrival order. */
  held: Incoming[] | null;
  /** It carried publications without history: nothing to catch up from, so a lost connection means resync. */
  plain: boolean;
}

/** Hands a publication on when it is the next one; false when it skips ahead (a gap to catch up). */
export function accept(state: StreamState, deliver: (pub: Incoming) => void, pub: Incoming): boolean {
  if (pub.lost) return covered(state, pub);
  if (pub.offset === 0) {
    state.plain = true;
    deliver(pub);
    return true;
  }
  if (pub.epoch === state.epoch || (state.epoch === '' && pub.offset === state.offset + 1)) {
    if (pub.offset <= state.offset) return true;
    if (pub.offset !== state.offset + 1) return false;
    state.epoch = pub.epoch;
    state.offset = pub.offset;
    deliver(pub);
    return true;
  }
  return false;
}

/** Already delivered (or covered by a history read): its data is not needed. */
export function covered(state: StreamState, pub: Publication): boolean {
  return pub.offset !== 0 && pub.epoch === state.epoch && pub.offset <= state.offset;
}

/**
 * Applies a history read to a stream held back after a gap: true when history held every publication
 * missed (delivered now, in order), false when it could not (the state moves to the stream's position,
 * for its connections to resync).
 */
export function catchUpFrom(state: StreamState, read: HistoryResult, deliver: (pub: Incoming) => void): boolean {
  const { position, publications } = read;
  const sameEpoch = position.epoch === state.epoch || (state.epoch === '' && state.offset === 0);
  const complete = publications.length === position.offset - state.offset && publications.every((p, k) => p.offset === state.offset + 1 + k);
  if (sameEpoch && position.offset >= state.offset && complete) {
    state.epoch = position.epoch;
    for (const pub of publications) accept(state, deliver, pub);
    return true;
  }
  state.epoch = position.epoch;
  state.offset = position.offset;
  return false;
}

/** Each stream's position in Redis (offset 0 and epoch '' when it has none), in batches. */
export async function readPositions(conn: RedisConnection, streams: string[]): Promise<StreamPosition[]> {
  const out: StreamPosition[] = [];
  for (let i = 0; i < streams.length; i += SUBSCRIBE_BATCH) {
    const keys = streams.slice(i, i + SUBSCRIBE_BATCH).map((s) => conn.key(`meta:${s}`));
    const flat = await conn.scriptVar<Array<number | string>>('heraldPositions', keys, []);
    for (let j = 0; j < keys.length; j++) out.push({ offset: Number(flat[2 * j]), epoch: String(flat[2 * j + 1] ?? '') });
  }
  return out;
}
