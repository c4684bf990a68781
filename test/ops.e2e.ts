import { DrainState } from '../src/connections/drain.state.js';
import { eventually } from './support/e2e.js';
import { connectUser, getTicket, mintToken, openSocket, startHerald, upgradeStatus, type Herald } from './support/harness.js';

/** PROTOCOL §6 public endpoints: health, metrics, docs. */
describe('ops endpoints', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald();
  });
  afterAll(() => h.close());

  it('GET /health/live answers 200 without a key', async () => {
    const res = await fetch(`${h.url}/health/live`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });

  it('GET /health/ready answers 200 without a key when the instance is ready', async () => {
    const res = await fetch(`${h.url}/health/ready`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });

  it('GET /health/ready answers 503, and upgrades 503, while the instance drains', async () => {
    const drain = h.app.get(DrainState);
    const ticket = await getTicket(h, mintToken('alice'));
    drain.draining = true;
    try {
      expect((await fetch(`${h.url}/health/ready`)).status).toBe(503);
      expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
      expect((await upgradeStatus(`${h.wsUrl}/demo?ticket=${ticket}`)).status).toBe(503);
    } finally {
      drain.draining = false;
    }
    expect((await fetch(`${h.url}/health/ready`)).status).toBe(200);
    expect((await upgradeStatus(`${h.wsUrl}/demo?ticket=${ticket}`)).status).toBe(101);
  });

  describe('/metrics', () => {
    const scrape = async () => {
      const res = await fetch(`${h.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    };
    /** Sum of every sample of the gauges whose name contains `connections`. */
    const openConnections = async () => {
      const text = await scrape();
      const gauges = [...text.matchAll(/^# TYPE (\S*connections\S*) gauge$/gm)].map((m) => m[1]);
      expect(gauges.length).toBeGreaterThan(0);
      const name = gauges[0];
      return text
        .split('\n')
        .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    };

    it('is Prometheus text with a gauge of open connections that counts them, authenticated or not', async () => {
      // earlier tests' sockets may still be closing on the server side
      await eventually(async () => expect(await openConnections()).toBe(0));
      const base = 0;
      const pending = await openSocket(h, '/demo', await getTicket(h, mintToken('alice')));
      const { client } = await connectUser(h, '/notification', 'bob');
      expect(await openConnections()).toBe(base + 2);
      await pending.close();
      await client.close();
      await eventually(async () => expect(await openConnections()).toBe(base));
    });

    it('answers without a key', async () => {
      expect((await fetch(`${h.url}/metrics`)).status).toBe(200);
    });
  });

  it('GET /docs serves the OpenAPI page as HTML', async () => {
    const res = await fetch(`${h.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/<html/i);
  });

  it('GET /docs-json documents the REST API', async () => {
    const res = await fetch(`${h.url}/docs-json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/notifications']).toHaveProperty('post');
    expect(doc.paths['/notifications/broadcast']).toHaveProperty('post');
    expect(doc.paths['/presence/{userId}']).toHaveProperty('get');
    expect(doc.paths['/auth/ticket']).toHaveProperty('post');
    const post = doc.paths['/notifications'].post as { responses: Record<string, unknown> };
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '413']));
  });
});
