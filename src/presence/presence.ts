/** Who is present in a channel, across every instance. */
export interface ChannelPresence {
  /** Connections holding the channel. */
  subscribers: number;
  /** The distinct user ids among them, at most the `maxUsers` asked for, in no particular order. */
  users: string[];
}

/**
 * Who is online, counted across every instance (PROTOCOL §6 presence of
 * users, §10 presence of channels). Every entry belongs to the instance
 * that added it: that instance keeps it alive, and when the instance dies
 * its entries stop counting within PRESENCE_TTL_MS (PROTOCOL §9: 30 s).
 * Writes that fail are retried by the instance's refresh, not thrown at
 * callers; reads reject when the backend is unreachable.
 */
export interface PresenceManager {
  /** An authenticated connection of `userId` (either gateway). */
  add(userId: string, connectionId: string): Promise<void>;
  remove(userId: string, connectionId: string): Promise<void>;
  /** Authenticated connections of `userId`. */
  count(userId: string): Promise<number>;

  /** Connection `connectionId` of `userId` holds `channel` (a channel name, not a stream name). Idempotent. */
  join(channel: string, userId: string, connectionId: string): Promise<void>;
  /** It no longer does. Idempotent. */
  leave(channel: string, userId: string, connectionId: string): Promise<void>;
  /** Subscribers and distinct users of `channel`, users capped at `maxUsers`. */
  channel(channel: string, maxUsers: number): Promise<ChannelPresence>;

  /** Graceful stop: this instance's entries go at once rather than at expiry. */
  close(): Promise<void>;
}

export const PRESENCE = Symbol('PRESENCE');
