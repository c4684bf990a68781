import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BROKER, type Broker, type Publication } from '../broker/broker.js';
import { TurnBatcher } from '../common/turn-batcher.js';
import { gatewayLabel } from '../connections/connection.js';
import { textFrame } from '../connections/ws-frame.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { notificationFrame } from './notification-frame.js';
import { BROADCAST_STREAM, parseStreamName } from './stream-names.js';
import { StreamSubscriptions } from './stream-subscriptions.service.js';
import type { Subscription } from './subscription.js';

const NOTIFICATION_OUT = { gateway: 'notification', type: 'notification' } as const;

/**
 * Broker → this instance's sockets. Every publication goes to the local
 * holders of its stream, encoded and framed once, the same bytes written to
 * every socket; the ordering, parking and gap rules are StreamSubscriptions'.
 */
@Injectable()
export class StreamDispatcher implements OnModuleInit {
  private readonly log = new Logger('StreamDispatcher');

  /** Broadcast notifications wait for the end of the turn: those landing together go out in one write per socket. */
  private readonly broadcasts = new TurnBatcher<Publication>((pubs) => this.deliverBroadcasts(pubs));

  constructor(
    @Inject(BROKER) private readonly broker: Broker,
    private readonly subscriptions: StreamSubscriptions,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.broker.onPublication((pub) => (pub.stream === BROADCAST_STREAM ? this.broadcasts.push(pub) : this.deliver(pub)));
  }

  private deliver(pub: Publication): void {
    const end = this.metrics.fanoutSeconds.startTimer();
    try {
      if (pub.offset === 0) this.fanOutPlain(pub);
      else this.fanOut(pub);
    } catch (err) {
      this.log.error({ err, stream: pub.stream }, 'fan-out failed');
    } finally {
      end();
    }
  }

  /** A notification stream's publication: one frame for the stream (it names the stream, not the socket). */
  private fanOut(pub: Publication): void {
    let frame: Buffer | undefined;
    let wire: Buffer | undefined;
    let sent = 0;
    for (const sub of this.subscriptions.holders(pub.stream)) {
      if (frame === undefined) {
        frame = notificationFrame(sub, pub);
        wire = textFrame(frame);
      }
      if (this.subscriptions.deliver(sub, pub, frame, wire)) sent++;
    }
    if (sent > 0) this.metrics.messagesOut.inc(NOTIFICATION_OUT, sent);
  }

  /** A /demo message: its data is the frame itself, for every holder. */
  private fanOutPlain(pub: Publication): void {
    let frame: Buffer | undefined;
    let wire: Buffer | undefined;
    let last: Subscription | undefined;
    let sent = 0;
    for (const sub of this.subscriptions.holders(pub.stream)) {
      if (frame === undefined) {
        frame = Buffer.from(pub.data);
        wire = textFrame(frame);
      }
      last = sub;
      if (this.subscriptions.sendPlain(sub, frame, wire, pub)) sent++;
    }
    if (last && sent > 0) this.metrics.messagesOut.inc({ gateway: gatewayLabel(last.conn.path), type: plainType(pub.stream) }, sent);
  }

  /** One turn's broadcast notifications, in offset order: framed together once, one write per socket. */
  private deliverBroadcasts(pubs: Publication[]): void {
    const { epoch } = pubs[0];
    const inOrder = pubs.every((pub, i) => pub.epoch === epoch && (i === 0 || pub.offset === pubs[i - 1].offset + 1));
    if (pubs.length === 1 || !inOrder) return pubs.forEach((pub) => this.deliver(pub));
    const end = this.metrics.fanoutSeconds.startTimer();
    try {
      const kind = { kind: 'broadcast' } as const;
      const frames = pubs.map((pub) => notificationFrame(kind, pub));
      const wire = Buffer.concat(frames.map(textFrame));
      const bytes = frames.reduce((n, frame) => n + frame.length, 0);
      const first = pubs[0].offset;
      const last = pubs[pubs.length - 1].offset;
      let sent = 0;
      for (const sub of this.subscriptions.holders(BROADCAST_STREAM)) {
        if (sub.offerBatch(epoch, first, last)) {
          if (sub.conn.sendBatch(frames, wire, bytes)) sent += frames.length;
        } else {
          for (let i = 0; i < pubs.length; i++) if (this.subscriptions.deliver(sub, pubs[i], frames[i])) sent++;
        }
      }
      if (sent > 0) this.metrics.messagesOut.inc(NOTIFICATION_OUT, sent);
    } catch (err) {
      this.log.error({ err, stream: BROADCAST_STREAM }, 'fan-out failed');
    } finally {
      end();
    }
  }
}

/** The metric type of a plain fan-out: a gateway's stream carries /demo `broadcast`, a user's `direct`. */
function plainType(stream: string): string {
  return parseStreamName(stream)?.kind === 'gateway' ? 'broadcast' : 'direct';
}
