import { MemoryPresence } from '../broker/memory.stores.js';
import type { Connection, GatewayName } from './connection.js';
import { ConnectionRegistry } from './connection.registry.js';

const conn = (userId: string, gateway: GatewayName = 'notification') =>
  ({ userId, ticketUserId: userId, gateway, authenticated: true }) as Connection;

describe('ConnectionRegistry by user (one connection stored as is, a Set for more)', () => {
  it('finds one, two, then one again as connections come and go', () => {
    const registry = new ConnectionRegistry();
    const [a, b, c] = [conn('u'), conn('u'), conn('u', 'demo')];
    for (const x of [a, b, c]) {
      registry.add(x);
      registry.authenticate(x);
    }
    expect(registry.ofUser('u')).toEqual([a, b, c]);
    expect(registry.ofUser('u', 'notification')).toEqual([a, b]);
    registry.remove(a);
    registry.remove(c);
    expect(registry.ofUser('u')).toEqual([b]);
    expect(registry.ofUser('u', 'demo')).toEqual([]);
    registry.add(a);
    registry.authenticate(a);
    expect(registry.ofUser('u')).toEqual([b, a]);
    registry.remove(a);
    registry.remove(b);
    expect(registry.ofUser('u')).toEqual([]);
    expect(registry.openCount('u')).toBe(0);
  });
});

describe('MemoryPresence', () => {
  it('counts a user’s connections through one, many and none', async () => {
    const presence = new MemoryPresence();
    await presence.add('u', 'c1');
    await presence.add('u', 'c1');
    expect(await presence.count('u')).toBe(1);
    await presence.add('u', 'c2');
    await presence.add('u', 'c3');
    expect(await presence.count('u')).toBe(3);
    await presence.remove('u', 'c2');
    await presence.remove('u', 'c1');
    expect(await presence.count('u')).toBe(1);
    await presence.remove('u', 'nope');
    expect(await presence.count('u')).toBe(1);
    await presence.remove('u', 'c3');
    expect(await presence.count('u')).toBe(0);
  });
});
