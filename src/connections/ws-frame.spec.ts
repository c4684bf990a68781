import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { textFrame, writeFrame } from './ws-frame.js';

describe('textFrame / writeFrame', () => {
  let server: WebSocketServer;
  let client: WebSocket;
  let peer: WebSocket;

  beforeEach(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    [peer] = (await accepted) as [WebSocket];
    await once(client, 'open');
  });

  afterEach(async () => {
    client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  const received = (n: number) =>
    new Promise<Array<{ text: string; isBinary: boolean }>>((resolve) => {
      const got: Array<{ text: string; isBinary: boolean }> = [];
      client.on('message', (data: Buffer, isBinary) => {
        got.push({ text: data.toString(), isBinary });
        if (got.length === n) resolve(got);
      });
    });

  it('is decoded by a real ws client as text, for every payload length encoding', async () => {
    // 7-bit, 16-bit and 64-bit payload lengths, and multi-byte UTF-8
    const payloads = ['', '{"type":"pong"}', 'é'.repeat(200), 'x'.repeat(70_000)];
    const got = received(payloads.length);
    for (const p of payloads) expect(writeFrame(peer, textFrame(Buffer.from(p)))).toBe(true);
    expect(await got).toEqual(payloads.map((text) => ({ text, isBinary: false })));
  });

  it('keeps order with frames sent through ws itself', async () => {
    const got = received(3);
    peer.send('a');
    expect(writeFrame(peer, textFrame(Buffer.from('b')))).toBe(true);
    peer.send('c');
    expect((await got).map((m) => m.text)).toEqual(['a', 'b', 'c']);
  });

  it('refuses once the socket is closed, so the caller falls back', async () => {
    peer.terminate();
    await once(peer, 'close');
    expect(writeFrame(peer, textFrame(Buffer.from('x')))).toBe(false);
  });
});
