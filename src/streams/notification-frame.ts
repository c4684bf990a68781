import type { Publication } from '../broker/broker.js';
import { encode } from '../protocol/envelope.js';
import type { Subscription } from './subscription.js';

/** What a notification carries before the broker gives it a stream position (PROTOCOL §5). */
export interface NotificationBody {
  id: string;
  event: string;
  payload: Record<string, unknown>;
  ts: number;
}

/** A notification body as the broker carries it: JSON text, encoded once by the publisher. */
export function encodeBody(body: NotificationBody): string {
  return JSON.stringify(body);
}

/**
 * The `notification` frame of PROTOCOL §5 and §10 for one stream's
 * publication: the body plus the stream's fields. The body is JSON of an
 * object with fields (encodeBody), so the stream's fields are spliced in
 * before its closing brace instead of parsing and re-encoding it: a
 * fan-out does this once per publication and stream, not per socket.
 */
export function notificationFrame(sub: Pick<Subscription, 'kind' | 'channel'>, pub: Publication): Buffer {
  const { data } = pub;
  const stream = sub.kind === 'channel' ? `"stream":"channel","channel":${JSON.stringify(sub.channel)}` : `"stream":"${sub.kind}"`;
  if (data.length < 3 || data.charCodeAt(data.length - 1) !== 0x7d /* } */) {
    const body = JSON.parse(data) as object;
    const fields = sub.kind === 'channel' ? { stream: 'channel', channel: sub.channel } : { stream: sub.kind };
    return encode('notification', { ...body, ...fields, offset: pub.offset, epoch: pub.epoch });
  }
  return Buffer.from(`{"type":"notification","data":${data.slice(0, -1)},${stream},"offset":${pub.offset},"epoch":${JSON.stringify(pub.epoch)}}}`);
}

/** A history entry as REST shows it (PROTOCOL §10 history): the body and its offset. */
export function historyEntry(pub: Publication): NotificationBody & { offset: number } {
  const { id, event, payload, ts } = JSON.parse(pub.data) as NotificationBody;
  return { id, event, payload, offset: pub.offset, ts };
}
