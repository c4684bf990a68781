import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeClients, collect, nextEvent, nodeClient, opened } from './support.js';

/**
 * A server that speaks just enough Herald to authenticate (ticket, auth_ok)
 * and then never answers anything: no pong, no reply. What a client sees
 * when a server or a middlebox stops forwarding without closing.
 */
async function silentServer(heartbeatMs: number): Promise<{ url: string; sockets: WebSocket[]; close(): Promise<void> }> {
  const sockets: WebSocket[] = [];
  const wss = new WebSocketServer({ noServer: true, autoPong: false });
  const http: Server = createServer((req, res) => {
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ticket: `t-${sockets.length}`, expiresIn: 30 }));
  });
  http.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString());
        if (frame.type === 'auth' && frame.id === 'auth') {
          const data = { connectionId: `c${sockets.length}`, userId: 'zed', expiresAt: Date.now() + 3_600_000, heartbeatMs };
          ws.send(JSON.stringify({ type: 'auth_ok', id: frame.id, data }));
        }
      });
    }),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    sockets,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

describe('HeraldClient dead-server detection', () => {
  let server: Awaited<ReturnType<typeof silentServer>> | undefined;
  afterEach(async () => {
    closeClients();
    await server?.close();
  });

  it('gives up a server that stops answering pings (interval from auth_ok.heartbeatMs) and reconnects', async () => {
    server = await silentServer(100);
    const client = nodeClient(server.url, '/notification', 'zed', { backoff: { baseMs: 10 } });
    const sent: string[] = [];
    const states = collect(client, 'state');
    client.connect();
    const started = Date.now();
    await opened(client);
    server.sockets[0].on('message', (raw) => sent.push(JSON.parse(raw.toString()).type));
    const dead = await nextEvent(client, 'state', (s) => s.state === 'reconnecting', 3000);
    const detectedAfter = Date.now() - started;
    expect(dead.disconnect).toEqual({ kind: 'dead' });
    expect(sent[0]).toBe('ping');
    // One interval to the ping, at most one more for the pong: well under the 30 s default of a protocol-level timeout.
    expect(detectedAfter).toBeGreaterThanOrEqual(150);
    expect(detectedAfter).toBeLessThan(1500);
    await opened(client);
    expect(server.sockets).toHaveLength(2);
    expect(states.filter((s) => s.state === 'open')).toHaveLength(2);
  });

  it('request() rejects with a timeout when no reply comes, and the client stays usable', async () => {
    server = await silentServer(60_000);
    const client = nodeClient(server.url, '/demo', 'zed');
    client.connect();
    await opened(client);
    const t0 = Date.now();
    await expect(client.request('echo', 1, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(client.state).toBe('open');
    await expect(client.request('echo', 2, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'timeout' });
  });

  it('a pending request is rejected at once when the connection drops', async () => {
    server = await silentServer(60_000);
    const client = nodeClient(server.url, '/demo', 'zed', { backoff: { baseMs: 1000 } });
    client.connect();
    await opened(client);
    const pending = client.request('echo', 1, { timeoutMs: 5000 });
    server.sockets[0].terminate();
    await expect(pending).rejects.toMatchObject({ code: 'connection_lost' });
    await expect(client.request('echo', 1)).rejects.toMatchObject({ code: 'not_connected' });
  });
});
