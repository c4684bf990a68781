import type { Socket } from 'node:net';
import { ConnectionRegistry } from '../src/connections/connection.registry.js';
import { eventually, recordFrames } from './support/e2e.js';
import { metric } from './support/metrics.js';
import { connectUser, postJson, startHerald, type Herald } from './support/harness.js';

const SEND_BUFFER_MAX_BYTES = 64 * 1024;
const TEXT = 'x'.repeat(4000);
const BATCH = 200;

/** PROTOCOL §7, 4001: a client that stops reading is cut; nobody else notices. */
describe('slow consumer', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald({ SEND_BUFFER_MAX_BYTES: String(SEND_BUFFER_MAX_BYTES), RATE_LIMIT_PER_SEC: '100000' });
  });
  afterAll(() => h.close());

  it('terminates a connection with more than SEND_BUFFER_MAX_BYTES unsent; its sibling and everybody else get every broadcast', async () => {
    const registry = h.app.get(ConnectionRegistry);
    const slow = await connectUser(h, '/demo', 'sloth');
    const sibling = await connectUser(h, '/demo', 'sloth');
    const other = await connectUser(h, '/demo', 'otter');
    const sender = await connectUser(h, '/demo', 'sender');
    const received = [sibling, other, sender].map(({ client }) => recordFrames(client));
    const slowId = slow.authOk.data.connectionId;

    // the client stops reading: bytes pile up in the kernel, then in Herald's send buffer
    (slow.client.ws as unknown as { _socket: Socket })._socket.pause();

    let sent = 0;
    const batch = async () => {
      for (let i = 0; i < BATCH; i++) sender.client.send({ type: 'broadcast', data: { text: `${sent++}:${TEXT}` } });
      await sender.client.request({ type: 'echo', id: `batch-${sent}` });
    };
    // until Herald cuts the slow one (kernel buffers on loopback hold a few MB first), then some more
    while ([...registry.all].some((c) => c.id === slowId)) {
      await batch();
      if (sent > 20_000) throw new Error(`slow consumer still connected after ${sent} broadcasts`);
    }
    for (let i = 0; i < 3; i++) await batch();

    for (const frames of received) {
      await eventually(() => expect(frames.filter((f) => f.type === 'broadcast')).toHaveLength(sent), 10_000);
      const indexes = frames.filter((f) => f.type === 'broadcast').map((f) => Number(f.data.text.split(':')[0]));
      expect(indexes).toEqual(indexes.map((_, i) => i));
    }
    expect((await sibling.client.request({ type: 'ping', id: 'p' })).type).toBe('pong');
    expect(await metric(h, 'herald_connections_killed_total', 'reason="slow_consumer"')).toBe(1);
    expect(await metric(h, 'herald_connection_closes_total', 'gateway="demo",code="4001"')).toBe(1);
    expect(registry.openCount('sloth')).toBe(1);

    // reading again, the client finds its connection gone (the 4001 frame could not get through the full buffer)
    (slow.client.ws as unknown as { _socket: Socket })._socket.resume();
    expect([4001, 1006]).toContain((await slow.client.closed).code);
    await Promise.all([sibling, other, sender].map(({ client }) => client.close()));
  });

  it('does not cut a reader for one frame larger than SEND_BUFFER_MAX_BYTES', async () => {
    const tight = await startHerald({ SEND_BUFFER_MAX_BYTES: '1024' });
    try {
      const { client } = await connectUser(tight, '/notification', 'reader');
      const payload = { blob: 'y'.repeat(8 * 1024) };
      for (let i = 0; i < 3; i++) {
        expect((await postJson(tight, '/notifications', { userIds: ['reader'], event: 'big.one', payload })).status).toBe(202);
        expect((await client.nextOfType('notification')).data.payload).toEqual(payload);
      }
      expect((await client.request({ type: 'ping', id: 'p' })).type).toBe('pong');
      await client.close();
    } finally {
      await tight.close();
    }
  });
});
