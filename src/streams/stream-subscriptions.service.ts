import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BROKER, type Broker, type HistoryResult, type Publication, type StreamPosition } from '../broker/broker.js';
import { PRESENCE, type PresenceManager } from '../presence/presence.js';
import { addOne, type OneOrSet, removeOne } from '../common/one-or-set.js';
import type { Connection } from '../connections/connection.js';
import { ConnectionLifecycle } from '../connections/connection-lifecycle.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { CloseCode } from '../protocol/envelope.js';
import { notificationFrame } from './notification-frame.js';
import { recoverStream } from './recovery.js';
import { StreamInterest } from './stream-interest.js';
import { Subscription, type SubscriptionKind } from './subscription.js';

/** A stream a connection is to hold. */
export interface StreamRequest {
  stream: string;
  kind: SubscriptionKind;
  channel?: string;
  /** The client's last position: replay what came after it (PROTOCOL §5 recovery). */
  recover?: StreamPosition;
}

/** What `open` did, in the order of the requests; handed back to `resume` once the reply is sent. */
export interface Opened {
  readonly subs: Subscription[];
  /** Each stream's position: the last publication's (PROTOCOL §5 `streams`, §10 `subscribed`). */
  readonly positions: StreamPosition[];
  /** Per request: undefined without `recover`, else whether it recovered. */
  readonly recovered: Array<boolean | undefined>;
  /** @internal what `resume` replays first, per subscription. */
  readonly replays: Publication[][];
}

/**
 * The one owner of what a connection holds: its subscriptions (the user and
 * broadcast streams, channels, /demo fan-outs), their positions, and the
 * "parked until recovery" state. Subscribe, then read: a subscription is a
 * delivery target, parked, before history is read, so a publication arriving
 * meanwhile is either in the replay or parked, and the offset check drops the
 * one that is both. It also keeps this instance's broker interest (one hold
 * per subscription) and channel presence in line with the subscriptions.
 */
@Injectable()
export class StreamSubscriptions implements OnModuleInit {
  private readonly log = new Logger('StreamSubscriptions');
  /** Local holders of each stream: one subscription as is, a Set for more (most users hold one connection). */
  private readonly hub = new Map<string, OneOrSet<Subscription>>();
  private readonly interest: StreamInterest;
  /** Subscriptions that saw a gap, by stream: recovered together, one history read per stream. */
  private readonly gaps = new Map<string, Set<Subscription>>();

  constructor(
    @Inject(BROKER) private readonly broker: Broker,
    @Inject(PRESENCE) private readonly presence: PresenceManager,
    private readonly lifecycle: ConnectionLifecycle,
    private readonly metrics: MetricsService,
  ) {
    this.interest = new StreamInterest(broker);
  }

  onModuleInit(): void {
    this.lifecycle.onClosed((conn) => this.closeAll(conn));
    this.broker.onResync((streams) => streams.forEach((stream) => this.resync(stream)));
  }

  /** The subscriptions holding `stream` on this instance. */
  holders(stream: string): Iterable<Subscription> {
    const held = this.hub.get(stream);
    return held === undefined ? [] : held instanceof Set ? held : [held];
  }

  /** The subscriptions a connection holds. */
  of(conn: Connection): readonly Subscription[] {
    return (conn.attachment as Subscription[] | null) ?? [];
  }

  find(conn: Connection, stream: string): Subscription | undefined {
    return this.of(conn).find((sub) => sub.stream === stream);
  }

  count(conn: Connection, kind: SubscriptionKind): number {
    let n = 0;
    for (const sub of this.of(conn)) if (sub.kind === kind) n++;
    return n;
  }

  /**
   * Makes `conn` hold each requested stream: a delivery target at once,
   * parked; the broker's interest held; history read; positions set (to the
   * client's, when it recovers, so the replay and what was parked follow in
   * order). Call `resume` once the reply is sent. Rejects when the broker
   * cannot subscribe or read; what was opened is closed again.
   */
  async open(conn: Connection, requests: StreamRequest[]): Promise<Opened> {
    const subs = requests.map((r) => this.attach(new Subscription(conn, r.stream, r.kind, r.channel)));
    try {
      await Promise.all(subs.map((sub) => this.interest.hold(sub.stream).then(() => this.joined(sub))));
      const positions: StreamPosition[] = [];
      const recovered: Array<boolean | undefined> = [];
      const replays: Publication[][] = [];
      for (const [i, sub] of subs.entries()) {
        const since = requests[i].recover;
        if (sub.kind === 'plain') {
          positions.push({ offset: 0, epoch: '' });
          recovered.push(undefined);
          replays.push([]);
          continue;
        }
        const history = await this.broker.history(sub.stream, since ? { since: since.offset } : undefined);
        const outcome = since ? recoverStream(since, history) : undefined;
        const from = outcome?.recovered ? since! : history.position;
        sub.moveTo(from);
        positions.push(history.position);
        recovered.push(outcome?.recovered);
        replays.push(outcome?.publications ?? []);
      }
      return { subs, positions, recovered, replays };
    } catch (err) {
      for (const sub of subs) this.detach(sub);
      throw err;
    }
  }

  /** Sends each opened subscription's replay, then what was parked meanwhile, and goes live. */
  resume(opened: Opened): void {
    opened.subs.forEach((sub, i) => this.flush(sub, opened.replays[i]));
  }

  /** `conn` stops holding `stream`: nothing of it is delivered after this returns. */
  close(conn: Connection, stream: string): boolean {
    const sub = this.find(conn, stream);
    if (sub) this.detach(sub);
    return sub !== undefined;
  }

  /** The connection ended: every subscription goes. */
  closeAll(conn: Connection): void {
    for (const sub of [...this.of(conn)]) this.detach(sub);
    conn.attachment = null;
  }

  /**
   * The per-socket step of every fan-out (StreamDispatcher): delivers the
   * next publication, parks it while the subscription recovers, drops a
   * repeat, and recovers from a gap. No allocation on the common path.
   */
  deliver(sub: Subscription, pub: Publication, frame: Buffer, wire?: Buffer): boolean {
    const offer = sub.offer(pub);
    if (offer === 'next') return sub.conn.send(frame, wire);
    if (offer === 'gap') this.recoverLater(sub);
    return false;
  }

  /** The per-socket step of a plain fan-out (no history, no order to keep): parked while the subscription opens. */
  sendPlain(sub: Subscription, frame: Buffer, wire?: Buffer, pub?: Publication): boolean {
    return sub.offerPlain(pub) && sub.conn.send(frame, wire);
  }

  /**
   * Some publications of `stream` may not have reached this instance (the
   * broker said so): every local holder reads history from its position.
   */
  resync(stream: string): void {
    // parked already: being opened (its history read is to come) or recovering
    for (const sub of this.holders(stream)) if (sub.park()) this.recoverLater(sub);
  }

  /** A parked subscription reads history at the end of the turn, with every other of its stream. */
  private recoverLater(sub: Subscription): void {
    let pending = this.gaps.get(sub.stream);
    if (!pending) {
      this.gaps.set(sub.stream, (pending = new Set()));
      setImmediate(() => void this.recoverGaps(sub.stream));
    }
    pending.add(sub);
  }

  /**
   * One history read for every subscription of `stream` that saw a gap:
   * replays what each missed, or closes it so the client recovers. A stream
   * that restarted (a new epoch: a Redis that came back empty) continues from
   * offset 0 of its new epoch, which the client sees on the next notification.
   */
  private async recoverGaps(stream: string): Promise<void> {
    const subs = [...(this.gaps.get(stream) ?? [])];
    this.gaps.delete(stream);
    const live = subs.filter((sub) => this.isAttached(sub));
    if (live.length === 0) return;
    let history: HistoryResult;
    try {
      history = await this.broker.history(stream, { since: Math.min(...live.map((sub) => sub.offset)) });
      const { epoch } = history.position;
      if (live.some((sub) => sub.epoch !== epoch && sub.offset > 0)) history = await this.broker.history(stream, { since: 0 });
    } catch (err) {
      this.log.warn({ err: (err as Error).message, stream }, 'history unreadable after a gap; closing its connections so they recover');
      for (const sub of live) this.insufficient(sub);
      return;
    }
    for (const sub of live) {
      if (!this.isAttached(sub)) continue;
      if (sub.epoch !== history.position.epoch) sub.moveTo({ offset: 0, epoch: history.position.epoch });
      const outcome = recoverStream(sub.position(), history);
      if (!outcome.recovered) {
        this.insufficient(sub);
        continue;
      }
      this.metrics.streamResyncs.inc({ outcome: 'recovered' });
      this.flush(sub, outcome.publications);
    }
  }

  /** The client's position cannot be restored here: close so it reconnects and recovers (or learns it cannot). */
  private insufficient(sub: Subscription): void {
    this.metrics.streamResyncs.inc({ outcome: 'closed' });
    sub.conn.close(CloseCode.INSUFFICIENT_STATE, 'missed notifications; reconnect and recover');
    this.detach(sub);
  }

  private flush(sub: Subscription, replay: Publication[]): void {
    const parked = sub.unpark();
    if (!this.isAttached(sub)) return;
    if (sub.kind === 'plain') {
      for (const pub of parked) this.sendPlain(sub, Buffer.from(pub.data));
      return;
    }
    let sent = 0;
    for (const pub of [...replay, ...parked]) {
      // a gap inside the parked ones parks the rest again: they wait for that recovery
      if (sub.parked) sub.offer(pub);
      else if (this.deliver(sub, pub, notificationFrame(sub, pub))) sent++;
    }
    if (sent > 0) this.metrics.messagesOut.inc({ gateway: 'notification', type: 'notification' }, sent);
  }

  private attach(sub: Subscription): Subscription {
    const held = (sub.conn.attachment as Subscription[] | null) ?? [];
    held.push(sub);
    sub.conn.attachment = held;
    addOne(this.hub, sub.stream, sub);
    return sub;
  }

  private isAttached(sub: Subscription): boolean {
    const held = this.hub.get(sub.stream);
    return held === sub || (held instanceof Set && held.has(sub));
  }

  /** Channel presence follows the subscription (the user's own presence is the connection's). */
  private async joined(sub: Subscription): Promise<void> {
    if (sub.kind !== 'channel' || !this.isAttached(sub)) return;
    await this.presence.join(sub.channel!, sub.conn.userId!, sub.conn.id);
    // left while presence was written: take it back
    if (!this.isAttached(sub)) await this.presence.leave(sub.channel!, sub.conn.userId!, sub.conn.id);
  }

  private detach(sub: Subscription): void {
    if (!this.isAttached(sub)) return;
    removeOne(this.hub, sub.stream, sub);
    sub.unpark();
    const held = sub.conn.attachment as Subscription[] | null;
    const i = held?.indexOf(sub) ?? -1;
    if (i >= 0) held!.splice(i, 1);
    this.interest.release(sub.stream);
    if (sub.kind === 'channel') {
      this.presence.leave(sub.channel!, sub.conn.userId!, sub.conn.id).catch((err) =>
        this.log.warn({ err: (err as Error).message, connectionId: sub.conn.id }, 'channel presence leave failed'),
      );
    }
  }

}
