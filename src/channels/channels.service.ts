import { Inject, Injectable } from '@nestjs/common';
import { InvalidTokenError, JwtVerifier } from '../auth/jwt-verifier.service.js';
import type { SubscribedData } from '@herald/client/protocol';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import type { Connection } from '../connections/connection.js';
import { HeraldWsException } from '../protocol/envelope.js';
import { streamName } from '../streams/stream-names.js';
import { type Opened, StreamSubscriptions } from '../streams/stream-subscriptions.service.js';
import { grantedBy } from './channel-access.js';
import type { SubscribeDto } from './channel.dto.js';


export interface Subscribed {
  data: SubscribedData;
  /** Present when the subscription is new: hand it to StreamSubscriptions.resume once `subscribed` is sent. */
  opened?: Opened;
}

/**
 * Channels on `/notification` (PROTOCOL §10): who may subscribe, how many a
 * connection may hold, and what `subscribe`/`unsubscribe` answer. A channel
 * is a stream like the user's own (StreamSubscriptions does the rest).
 */
@Injectable()
export class ChannelsService {
  /** The `channels` claim of each connection's latest `auth`, for the connections whose JWT had one. */
  private readonly grants = new WeakMap<Connection, readonly string[]>();

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly verifier: JwtVerifier,
    private readonly subscriptions: StreamSubscriptions,
  ) {}

  /** Called on every `auth` (first or refresh): the latest JWT's claim is what rule 1 checks. */
  authenticated(conn: Connection, channels: string[] | undefined): void {
    if (channels) this.grants.set(conn, channels);
    else this.grants.delete(conn);
  }

  async subscribe(conn: Connection, request: SubscribeDto): Promise<Subscribed> {
    const { channel } = request;
    const stream = streamName.channel(channel);
    const held = this.subscriptions.find(conn, stream);
    if (held) return { data: { channel, offset: held.offset, epoch: held.epoch } };
    await this.authorize(conn, channel, request.token);
    if (this.subscriptions.count(conn, 'channel') >= this.config.maxChannelsPerConnection) {
      throw new HeraldWsException('channel_limit', `a connection holds at most ${this.config.maxChannelsPerConnection} channels`);
    }
    const opened = await this.subscriptions.open(conn, [{ stream, kind: 'channel', channel, recover: request.recover }]);
    const [position] = opened.positions;
    const [recovered] = opened.recovered;
    const data: SubscribedData = { channel, ...position };
    if (recovered !== undefined) data.recovered = recovered;
    return { data, opened };
  }

  /** Nothing of `channel` reaches the connection once this returns; not holding it is fine too. */
  unsubscribe(conn: Connection, channel: string): void {
    this.subscriptions.close(conn, streamName.channel(channel));
  }

  private async authorize(conn: Connection, channel: string, token: string | undefined): Promise<void> {
    if (grantedBy(channel, this.grants.get(conn), this.config.publicChannelPrefixes)) return;
    if (token !== undefined) {
      const reason = await this.verifier.verifySubscription(token).then(
        (claims) => (claims.sub !== conn.userId ? 'is for another user' : claims.channel !== channel ? 'is for another channel' : undefined),
        (err) => (err instanceof InvalidTokenError ? `is invalid: ${err.message}` : 'was rejected'),
      );
      if (reason === undefined) return;
      throw new HeraldWsException('forbidden', `subscription token ${reason}`);
    }
    throw new HeraldWsException('forbidden', `not allowed to subscribe to ${channel}`);
  }
}
