import type { Publication, StreamPosition } from '../broker/broker.js';
import type { Connection } from '../connections/connection.js';
import type { NotificationStream } from './stream-names.js';

/** A notification stream (offsets, epoch, history, recovery), or a plain fan-out without history (the /demo messages). */
export type SubscriptionKind = NotificationStream | 'plain';

/** What a subscription did with a live publication (see `offer`). */
export type Offer = 'next' | 'duplicate' | 'gap' | 'parked';

/**
 * One connection holding one stream: the user and broadcast streams a
 * `/notification` connection holds implicitly, each channel it subscribed
 * to, and the plain fan-outs of `/demo`. The same thing underneath for all:
 * the position last delivered, and the publications parked while history is
 * read for it. It is the only writer of that state: StreamSubscriptions and
 * the dispatcher offer publications and move positions through its methods.
 * A subscription starts parked: it is a delivery target before its history is read.
 */
export class Subscription {
  private offsetAt = 0;
  private epochIn = '';
  /** Non-null while history is read for this subscription: live publications wait here, in arrival order. */
  private parkedPubs: Publication[] | null = [];

  constructor(
    readonly conn: Connection,
    /** The broker stream (stream-names.ts). */
    readonly stream: string,
    readonly kind: SubscriptionKind,
    /** The channel's name, for `kind: 'channel'`. */
    readonly channel?: string,
  ) {}

  /** Offset of the last publication delivered (or recovered to). */
  get offset(): number {
    return this.offsetAt;
  }

  /** The epoch `offset` counts in ('' for plain fan-outs). */
  get epoch(): string {
    return this.epochIn;
  }

  get parked(): boolean {
    return this.parkedPubs !== null;
  }

  position(): StreamPosition {
    return { offset: this.offsetAt, epoch: this.epochIn };
  }

  /** Sets the position: where history left it on open, or offset 0 of a stream's new epoch on recovery. */
  moveTo(position: StreamPosition): void {
    this.offsetAt = position.offset;
    this.epochIn = position.epoch;
  }

  /**
   * A live publication of the stream (PROTOCOL §5/§9 order): `next` moved the
   * position to it (send it); `duplicate` was delivered already; `parked` was
   * kept for when history is read; `gap` means some were missed: it is kept and
   * the subscription parked from here (in a new epoch, counting from its offset 0),
   * for the owner to recover.
   */
  offer(pub: Publication): Offer {
    if (this.parkedPubs !== null) {
      this.parkedPubs.push(pub);
      return 'parked';
    }
    const order = orderOf(this, pub);
    if (order === 'next') {
      this.offsetAt = pub.offset;
      this.epochIn = pub.epoch;
    } else if (order === 'gap') {
      if (pub.epoch !== this.epochIn) this.moveTo({ offset: 0, epoch: pub.epoch });
      this.parkedPubs = [pub];
    }
    return order;
  }

  /** Publications `first..last` of `epoch` at once: true (and the position at `last`) when they are the next ones. */
  offerBatch(epoch: string, first: number, last: number): boolean {
    if (this.parkedPubs !== null || this.epochIn !== epoch || this.offsetAt !== first - 1) return false;
    this.offsetAt = last;
    return true;
  }

  /** A plain fan-out's publication (no order to keep): true to send it now, false when it was parked. */
  offerPlain(pub?: Publication): boolean {
    if (this.parkedPubs === null) return true;
    if (pub) this.parkedPubs.push(pub);
    return false;
  }

  /** Parks live publications from now on, to read history; false when already parked (or a plain fan-out). */
  park(): boolean {
    if (this.kind === 'plain' || this.parkedPubs !== null) return false;
    this.parkedPubs = [];
    return true;
  }

  /** Goes live: hands back what was parked, in arrival order. */
  unpark(): Publication[] {
    const parked = this.parkedPubs ?? [];
    this.parkedPubs = null;
    return parked;
  }
}

/** Where a publication stands against a subscription's position. */
type Order = 'next' | 'duplicate' | 'gap';

/**
 * PROTOCOL §5/§9: a connection gets a stream's publications in offset order,
 * each once. The next one is delivered; one at or below the position was
 * delivered already; one further on means some were missed. A new epoch (the
 * stream restarted: history lost) counts from offset 0 of that epoch, so the
 * client sees the new epoch on the next notification rather than a gap.
 */
function orderOf(sub: StreamPosition, pub: Publication): Order {
  const base = pub.epoch === sub.epoch ? sub.offset : 0;
  if (pub.offset === base + 1) return 'next';
  return pub.offset <= base ? 'duplicate' : 'gap';
}
