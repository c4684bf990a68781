// Bare ws server done right: serialize once, build the WebSocket frame once,
// write the same Buffer to every socket.
import { Sender, WebSocketServer } from 'ws';
import { serve } from './common.mjs';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 65536 });
wss.on('connection', (ws) => ws.on('error', () => {}));
wss.on('listening', () =>
  serve({
    port: wss.address().port,
    connections: () => wss.clients.size,
    broadcast: (payload) => {
      const data = Buffer.from(JSON.stringify({ type: 'notification', data: payload }));
      const frame = Buffer.concat(Sender.frame(data, { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
      for (const ws of wss.clients) ws._socket.write(frame);
    },
  }),
);
