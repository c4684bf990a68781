// Bare ws server, the way most people write a broadcast: stringify and send per socket.
import { WebSocketServer } from 'ws';
import { serve } from './common.mjs';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 65536 });
wss.on('connection', (ws) => ws.on('error', () => {}));
wss.on('listening', () =>
  serve({
    port: wss.address().port,
    connections: () => wss.clients.size,
    broadcast: (payload) => {
      for (const ws of wss.clients) ws.send(JSON.stringify({ type: 'notification', data: payload }));
    },
  }),
);
