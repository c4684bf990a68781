import { eventually } from './support/e2e.js';
import { getTicket, mintToken, openSocket, startHerald, upgradeStatus, type Herald } from './support/harness.js';
import { rawRequest, statusOf } from './support/raw-http.js';

type Line = Record<string, any>;

const upgradeHeaders = 'Host: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

/** Issue 11 §4: no query value, however spelled, and no raw request target reaches the log. */
describe('log redaction of request targets', () => {
  let h: Herald;
  const parsed = (): Line[] => h.logs.map((l) => JSON.parse(l) as Line);

  beforeAll(async () => {
    h = await startHerald({ LOG_LEVEL: 'info' });
  });
  afterAll(() => h.close());

  it('redacts a live ticket behind a percent-encoded parameter name (?tick%65t=T), upgrade and REST alike', async () => {
    const ticket = await getTicket(h, mintToken('alice'));
    // the ticket still opens a socket (URLSearchParams decodes the name), so its value must not be logged
    const client = await openSocket(h, `/demo?tick%65t=${ticket}&x=`, undefined);
    await client.close();
    const other = 'QueryValueThatIsASecret1234';
    expect((await upgradeStatus(`${h.wsUrl}/nowhere?tick%65t=${other}&a=${other}&${other}`)).status).toBe(404);
    expect((await fetch(`${h.url}/health/ready?tick%65t=${other}&b=${other}`)).status).toBe(200);
    await eventually(() => {
      expect(parsed().some((l) => l.event === 'ws.refused' && l.status === 404)).toBe(true);
      expect(parsed().some((l) => l.req?.url?.startsWith('/health/ready'))).toBe(true);
    });
    const all = h.logs.join('\n');
    expect(all).not.toContain(ticket);
    expect(all).not.toContain(other);
    const refused = parsed().find((l) => l.event === 'ws.refused' && l.status === 404)!;
    expect(refused.url).toBe('/nowhere?tick%65t=[redacted]&a=[redacted]&[redacted]');
    expect(parsed().find((l) => l.req?.url?.startsWith('/health/ready'))!.req.url).toBe('/health/ready?tick%65t=[redacted]&b=[redacted]');
  });

  it('answers an unparseable upgrade target 400, logs no raw input and no stack', async () => {
    const secret = 'MalformedTargetTicket987654321';
    const answer = await rawRequest(h.url, `GET //[/demo?ticket=${secret} HTTP/1.1\r\n${upgradeHeaders}`);
    expect(statusOf(answer)).toBe(400);
    expect(answer).not.toContain(secret);
    expect(answer).not.toMatch(/\bat .+\.js:\d+/);
    await eventually(() => expect(parsed().some((l) => l.status === 400 || l.res?.statusCode === 400)).toBe(true));
    const all = h.logs.join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toMatch(/"stack"/);
    expect(parsed().filter((l) => l.level >= 50)).toEqual([]);
  });

  it('answers an unparseable REST target 400 without the raw input in the log', async () => {
    const secret = 'MalformedRestTicket1234567890';
    const answer = await rawRequest(h.url, `GET //[/health/live?ticket=${secret} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    // the answer goes to the sender, who wrote the target; the log is what must not keep it
    expect([400, 404]).toContain(statusOf(answer));
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.logs.join('\n')).not.toContain(secret);
    expect(parsed().filter((l) => l.level >= 50)).toEqual([]);
  });
});
