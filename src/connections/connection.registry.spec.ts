import type { Connection } from './connection.js';
import { ConnectionRegistry } from './connection.registry.js';

const conn = (userId: string) => ({ userId, ticketUserId: userId }) as Connection;

describe('ConnectionRegistry', () => {
  it('counts open sockets per ticket user as they come and go, once each', () => {
    const registry = new ConnectionRegistry();
    const [a, b, c] = [conn('u'), conn('u'), conn('v')];
    for (const x of [a, b, c]) registry.add(x);
    expect([registry.size, registry.openCount('u'), registry.openCount('v')]).toEqual([3, 2, 1]);
    registry.remove(a);
    registry.remove(a);
    expect([registry.size, registry.openCount('u')]).toEqual([2, 1]);
    registry.remove(b);
    registry.remove(c);
    expect([registry.size, registry.openCount('u'), registry.openCount('v')]).toEqual([0, 0, 0]);
  });
});
