import { connectUser, postJson, startHerald, type Herald } from './support/harness.js';

describe('smoke', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald();
  });
  afterAll(() => h.close());

  it('delivers a REST notification to the user socket', async () => {
    const { client, authOk } = await connectUser(h, '/notification', 'alice');
    expect(authOk.data.streams.user.offset).toBe(0);
    const res = await postJson(h, '/notifications', { userIds: ['alice'], event: 'order.shipped', payload: { n: 1 } });
    expect(res.status).toBe(202);
    const n = await client.nextOfType('notification');
    expect(n.data).toMatchObject({ id: res.body.id, event: 'order.shipped', payload: { n: 1 }, stream: 'user', offset: 1 });
    await client.close();
  });
});
