// uWebSockets.js (the unofficial npm build `uws-pack`), the headroom reference: native pub/sub.
import { serve } from './common.mjs';

const uws = await import('uws-pack').then((m) => m.default ?? m);
const app = uws.App();
let connections = 0;
app.ws('/*', {
  compression: uws.DISABLED,
  maxPayloadLength: 65536,
  idleTimeout: 0,
  maxBackpressure: 64 * 1024 * 1024,
  open: (ws) => {
    connections++;
    ws.subscribe('all');
  },
  close: () => connections--,
});
app.listen('127.0.0.1', 0, (token) => {
  if (!token) throw new Error('uWebSockets.js could not listen');
  serve({
    port: uws.us_socket_local_port(token),
    connections: () => connections,
    broadcast: (payload) => app.publish('all', JSON.stringify({ type: 'notification', data: payload }), false),
  });
});
