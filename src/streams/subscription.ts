import type { Publication } from '../broker/broker.js';
import type { Connection } from '../connections/connection.js';
import type { NotificationStream } from './stream-names.js';

/** A notification stream (offsets, epoch, history, recovery), or a plain fan-out without history (the /demo messages). */
export type SubscriptionKind = NotificationStream | 'plain';

/**
 * One connection holding one stream: the user and broadcast streams a
 * `/notification` connection holds implicitly, each channel it subscribed
 * to, and the plain fan-outs of `/demo`. The same thing underneath for all:
 * the position last delivered, and the publications parked while
 * StreamSubscriptions (their one owner) reads history for it.
 */
export class Subscription {
  /** Offset of the last publication delivered (or recovered to). */
  offset = 0;
  /** The epoch `offset` counts in ('' for plain fan-outs). */
  epoch = '';
  /** Non-null while history is read for this subscription: live publications wait here, in arrival order. */
  parked: Publication[] | null = null;

  constructor(
    readonly conn: Connection,
    /** The broker stream (stream-names.ts). */
    readonly stream: string,
    readonly kind: SubscriptionKind,
    /** The channel's name, for `kind: 'channel'`. */
    readonly channel?: string,
  ) {}
}

/** Where a publication stands against a subscription's position. */
export type Order = 'next' | 'duplicate' | 'gap';

/**
 * PROTOCOL §5/§9: a connection gets a stream's publications in offset order,
 * each once. The next one is delivered; one at or below the position was
 * delivered already; one further on means some were missed. A new epoch (the
 * stream restarted: history lost) counts from offset 0 of that epoch, so the
 * client sees the new epoch on the next notification rather than a gap.
 */
export function orderOf(sub: Subscription, pub: Publication): Order {
  const base = pub.epoch === sub.epoch ? sub.offset : 0;
  if (pub.offset === base + 1) return 'next';
  return pub.offset <= base ? 'duplicate' : 'gap';
}
