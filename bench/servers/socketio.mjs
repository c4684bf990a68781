// Socket.IO 4, websocket transport only, no compression: io.emit to everyone.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { serve } from './common.mjs';

const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, httpCompression: false, serveClient: false, maxHttpBufferSize: 65536 });
http.listen(0, '127.0.0.1', () =>
  serve({
    port: http.address().port,
    connections: () => io.engine.clientsCount,
    broadcast: (payload) => io.emit('notification', payload),
  }),
);
