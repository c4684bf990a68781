import type { ChannelPresence, PresenceManager } from './presence.js';
import { addOne, countOf, type OneOrSet, removeOne } from '../common/one-or-set.js';

/** Presence of this one instance: nothing to expire, entries leave with their connections. */
export class MemoryPresence implements PresenceManager {
  private readonly users = new Map<string, OneOrSet<string>>();
  /** channel → connection id → user id */
  private readonly channels = new Map<string, Map<string, string>>();

  async add(userId: string, connectionId: string): Promise<void> {
    addOne(this.users, userId, connectionId);
  }

  async remove(userId: string, connectionId: string): Promise<void> {
    removeOne(this.users, userId, connectionId);
  }

  async count(userId: string): Promise<number> {
    return countOf(this.users, userId);
  }

  async join(channel: string, userId: string, connectionId: string): Promise<void> {
    let held = this.channels.get(channel);
    if (!held) this.channels.set(channel, (held = new Map()));
    held.set(connectionId, userId);
  }

  async leave(channel: string, _userId: string, connectionId: string): Promise<void> {
    const held = this.channels.get(channel);
    if (!held?.delete(connectionId) || held.size > 0) return;
    this.channels.delete(channel);
  }

  async channel(channel: string, maxUsers: number): Promise<ChannelPresence> {
    const held = this.channels.get(channel);
    if (!held) return { subscribers: 0, users: [] };
    const users = new Set<string>();
    for (const userId of held.values()) {
      if (users.size >= maxUsers) break;
      users.add(userId);
    }
    return { subscribers: held.size, users: [...users] };
  }

  async close(): Promise<void> {}
}
