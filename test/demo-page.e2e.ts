import { ensureClientBuilt } from '../client/test/ensure-built.js';
import { demoPageEnabled } from '../src/demo/demo-page.enabled.js';
import { connectUser, getTicket, startHerald, type Herald } from './support/harness.js';

const post = (h: Herald, path: string, body: unknown) =>
  fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('demo page and dev tools, on the development keys', () => {
  let h: Herald;
  beforeAll(async () => {
    ensureClientBuilt();
    h = await startHerald({ PUBLIC_CHANNEL_PREFIXES: 'public:' });
  });
  afterAll(() => h.close());

  it('serves /favicon.ico (no 404 in the browser console)', async () => {
    const res = await fetch(`${h.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/icon/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 4)]).toEqual([0, 0, 1, 0]); // an ICO header
  });

  it('serves the page at / and its script, which imports the SDK served at /client/herald-client.js', async () => {
    const page = await fetch(`${h.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<script type="module" src="/demo.js">');
    const script = await fetch(`${h.url}/demo.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain("from '/client/herald-client.js'");
    const sdk = await fetch(`${h.url}/client/herald-client.js`);
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('content-type')).toMatch(/javascript/);
    const sdkText = await sdk.text();
    expect(sdkText).toMatch(/export \{ HeraldClient/);
    // Its relative imports resolve under /client/ too.
    for (const dep of sdkText.matchAll(/from '\.\/([\w-]+\.js)'/g)) {
      expect((await fetch(`${h.url}/client/${dep[1]}`)).status).toBe(200);
    }
    expect((await fetch(`${h.url}/client/../package.json`)).status).toBe(404);
  });

  it('POST /dev/token mints a user JWT that Herald accepts', async () => {
    const res = await post(h, '/dev/token', { userId: 'ann', ttlSec: 120 });
    expect(res.status).toBe(201);
    const { token, expiresAt } = (await res.json()) as { token: string; expiresAt: number };
    expect(expiresAt).toBeGreaterThan(Date.now() + 100_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 121_000);
    expect(await getTicket(h, token)).toEqual(expect.any(String));
    expect((await post(h, '/dev/token', { userId: '' })).status).toBe(400);
    expect((await post(h, '/dev/token', { userId: 'ann', ttlSec: 10 ** 9 })).status).toBe(400);
  });

  it('POST /dev/notify notifies one user, or everyone without userId', async () => {
    const { client } = await connectUser(h, '/notification', 'ann');
    const one = await post(h, '/dev/notify', { userId: 'ann', event: 'demo.ping', payload: { n: 1 } });
    expect(one.status).toBe(202);
    const { id } = (await one.json()) as { id: string };
    expect((await client.nextOfType('notification')).data).toMatchObject({ id, event: 'demo.ping', stream: 'user', payload: { n: 1 } });
    expect((await post(h, '/dev/notify', {})).status).toBe(202);
    expect((await client.nextOfType('notification')).data).toMatchObject({ event: 'demo.notification', stream: 'broadcast' });
    expect((await post(h, '/dev/notify', { userId: 'ann', event: 'Bad Event' })).status).toBe(400);
    await client.close();
  });

  it('POST /dev/notify with a channel, and the presence helpers of the demo page', async () => {
    const { client } = await connectUser(h, '/notification', 'ann');
    expect(await client.request({ type: 'subscribe', id: 's1', data: { channel: 'public:lobby' } })).toMatchObject({ type: 'subscribed' });
    const sent = await post(h, '/dev/notify', { channel: 'public:lobby', event: 'demo.channel', payload: { text: 'hi' } });
    expect(sent.status).toBe(202);
    const { id } = (await sent.json()) as { id: string };
    expect((await client.nextOfType('notification')).data).toMatchObject({ id, stream: 'channel', channel: 'public:lobby', payload: { text: 'hi' } });
    expect((await post(h, '/dev/notify', { channel: 'bad name' })).status).toBe(400);

    const lobby = await fetch(`${h.url}/dev/channels/public:lobby/presence`);
    expect(await lobby.json()).toEqual({ channel: 'public:lobby', subscribers: 1, users: ['ann'] });
    expect((await fetch(`${h.url}/dev/channels/bad%20name/presence`)).status).toBe(400);
    expect(await (await fetch(`${h.url}/dev/presence/ann`)).json()).toEqual({ userId: 'ann', online: true, connections: 1 });
    expect(await (await fetch(`${h.url}/dev/presence/nobody`)).json()).toEqual({ userId: 'nobody', online: false, connections: 0 });
    await client.close();
  });

  it('POST /dev/token with a channel mints a subscription token that admits that channel only', async () => {
    const { client } = await connectUser(h, '/notification', 'ann');
    const { token } = (await (await post(h, '/dev/token', { userId: 'ann', channel: 'team:7' })).json()) as { token: string };
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())).toMatchObject({ sub: 'ann', channel: 'team:7' });
    expect(await client.request({ type: 'subscribe', id: 's1', data: { channel: 'team:7' } })).toMatchObject({ type: 'error', data: { code: 'forbidden' } });
    expect(await client.request({ type: 'subscribe', id: 's2', data: { channel: 'team:7', token } })).toMatchObject({ type: 'subscribed' });
    expect(await client.request({ type: 'subscribe', id: 's3', data: { channel: 'team:8', token } })).toMatchObject({ type: 'error', data: { code: 'forbidden' } });
    expect((await post(h, '/dev/token', { userId: 'ann', channel: 'bad name' })).status).toBe(400);
    await client.close();
  });
});

describe('demo page and dev tools, with operator keys', () => {
  const operatorKeys = { JWT_SECRET: 'an-operator-secret-of-some-length', SERVICE_API_KEYS: 'operator-key' };

  it.each([
    ['development', operatorKeys],
    ['production', { ...operatorKeys, NODE_ENV: 'production' }],
    ['only JWT_SECRET set', { JWT_SECRET: operatorKeys.JWT_SECRET }],
    ['only SERVICE_API_KEYS set', { SERVICE_API_KEYS: operatorKeys.SERVICE_API_KEYS }],
  ])('%s: /, /client/*, /dev/token and /dev/notify are 404', async (_name, env) => {
    const h = await startHerald(env);
    try {
      for (const path of ['/', '/demo.js', '/favicon.ico', '/client/herald-client.js', '/client/index.js', '/dev/presence/ann', '/dev/channels/public:x/presence']) {
        expect([path, (await fetch(`${h.url}${path}`)).status]).toEqual([path, 404]);
      }
      expect((await post(h, '/dev/token', { userId: 'ann' })).status).toBe(404);
      expect((await post(h, '/dev/notify', { userId: 'ann' })).status).toBe(404);
      expect((await fetch(`${h.url}/asyncapi.json`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('is never on in production, whatever the keys', () => {
    expect(demoPageEnabled({ nodeEnv: 'production', devKeys: { jwt: true, apiKeys: true } })).toBe(false);
    expect(demoPageEnabled({ nodeEnv: 'development', devKeys: { jwt: true, apiKeys: true } })).toBe(true);
    expect(demoPageEnabled({ nodeEnv: 'test', devKeys: { jwt: true, apiKeys: false } })).toBe(false);
  });
});
