import { Inject, Injectable } from '@nestjs/common';
import { BROKER, type Broker } from '../broker/broker.js';
import { recoverStream } from './recovery.js';
import { Connection, StreamName, StreamPosition } from '../connections/connection.js';
import { BroadcastService } from './broadcast.service.js';

const STREAMS: StreamName[] = ['user', 'broadcast'];

export interface StreamAttachment {
  streams: Record<StreamName, StreamPosition>;
  /** Present when the client asked to recover. */
  recovered?: boolean;
  /** Sends the replay, then whatever arrived live meanwhile; call right after `auth_ok`. */
  flush: () => void;
}

/**
 * Subscribe-then-read for `/notification` (PROTOCOL §5): the connection is
 * already a delivery target, parked, when history is read, so a notification
 * published meanwhile is either in the replay or parked, and the offset check
 * in `deliverToStream` drops the one that is both.
 */
@Injectable()
export class StreamRecovery {
  constructor(
    @Inject(BROKER) private readonly broker: Broker,
    private readonly broadcast: BroadcastService,
  ) {}

  async attach(conn: Connection, recover?: Partial<Record<StreamName, StreamPosition>>): Promise<StreamAttachment> {
    conn.parked ??= [];
    const streams = {} as Record<StreamName, StreamPosition>;
    const replay: Array<() => void> = [];
    let recovered = true;
    for (const stream of STREAMS) {
      const since = recover?.[stream];
      const history = await this.broker.history(this.broadcast.streamChannel(stream, conn.userId!), { since: since?.offset });
      streams[stream] = history.position;
      const outcome = since ? recoverStream(since, history) : undefined;
      if (outcome) recovered &&= outcome.recovered;
      if (since && outcome?.recovered) {
        conn.setPosition(stream, since.offset, since.epoch);
        for (const pub of outcome.publications) {
          replay.push(() => this.broadcast.deliverToStream(conn, stream, pub, this.broadcast.notificationFrame(stream, pub)));
        }
      } else {
        conn.setPosition(stream, history.position.offset, history.position.epoch);
      }
    }
    return {
      streams,
      recovered: recover ? recovered : undefined,
      flush: () => {
        const parked = conn.parked ?? [];
        conn.parked = null;
        for (const send of replay) send();
        for (const send of parked) send();
      },
    };
  }
}
