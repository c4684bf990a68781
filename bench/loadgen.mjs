// Load generator (a child of bench/run.mjs): holds thousands of raw WebSocket
// clients, measures handshakes, and records each delivery's latency from the
// intended send time embedded in the message (hrtime: one monotonic clock per host).
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { Histogram } from './lib/histogram.mjs';
import { RawWs } from './lib/raw-ws.mjs';
import { nowUs } from './lib/schedule.mjs';

const BSEQ = Buffer.from('"bseq":');
const BT = Buffer.from('"bt":');
const conns = [];
let stats;
const resetStats = (seqCount = 0, dedupe = true) => {
  stats = { hist: new Histogram(), received: 0, dups: 0, dedupe, lastBySeq: new Float64Array(seqCount) };
  // REST publishes may be accepted out of order, so duplicates are found per sequence number, not by order
  for (const c of conns) c.seen = dedupe ? new Uint8Array(seqCount) : null;
};
resetStats();

const b64url = (s) => Buffer.from(s).toString('base64url');
function jwt(sub, secret) {
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify({ sub, iat: now, exp: now + 7200 }))}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

function readInt(buf, i) {
  let v = 0;
  for (let c = buf[i]; c >= 48 && c <= 57; c = buf[++i]) v = v * 10 + (c - 48);
  return v;
}

function onDelivery(ws, buf) {
  const i = buf.indexOf(BSEQ);
  if (i < 0) return false;
  const seq = readInt(buf, i + BSEQ.length);
  const t = readInt(buf, buf.indexOf(BT, i) + BT.length);
  const latency = nowUs() - t;
  const seen = ws.seen;
  if (seen) {
    if (seq >= seen.length || seen[seq] === 1) return void stats.dups++;
    seen[seq] = 1;
  }
  stats.received++;
  stats.hist.record(latency);
  if (seq < stats.lastBySeq.length && latency > stats.lastBySeq[seq]) stats.lastBySeq[seq] = latency;
  return true;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function ticketFor(host, port, token, localAddress) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: '/auth/ticket', method: 'POST', agent, localAddress, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 || res.statusCode === 201 ? resolve(JSON.parse(body).ticket) : reject(new Error(`ticket ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A reused keep-alive connection can meet the server's idle close ("socket hang up"): try once more. */
async function ticketWithRetry(host, port, token, localAddress) {
  try {
    return await ticketFor(host, port, token, localAddress);
  } catch (err) {
    if (!/hang up|ECONNRESET/.test(err.message)) throw err;
    return ticketFor(host, port, token, localAddress);
  }
}

/** Opens one client; resolves with its handshake time in µs once it can receive. */
async function connectOne(o, index) {
  const started = nowUs();
  let path = o.path;
  let token;
  if (o.proto === 'herald') {
    token = jwt(`user-${index}`, o.jwtSecret);
    path = `${o.path}?ticket=${encodeURIComponent(await ticketWithRetry(o.host, o.port, token, o.localAddress))}`;
  }
  return new Promise((resolve, reject) => {
    new RawWs({
      host: o.host,
      port: o.port,
      path,
      localAddress: o.localAddress,
      onOpen: (w) => {
        if (o.proto === 'herald') w.send(JSON.stringify({ type: 'auth', data: { token } }));
        else if (o.proto === 'ws') ready(w);
      },
      onMessage: (w, buf) => {
        if (w.ready) {
          if (!onDelivery(w, buf) && o.proto === 'socketio' && buf.length === 1 && buf[0] === 0x32) w.send('3');
        } else if (o.proto === 'herald') {
          if (buf.includes('"auth_ok"')) ready(w);
          else w.end(`auth refused: ${buf.toString().slice(0, 120)}`);
        } else if (o.proto === 'socketio') {
          if (buf[0] === 0x30) w.send('40');
          else if (buf[0] === 0x34 && buf[1] === 0x30) ready(w);
        }
      },
      onClose: (w, reason) => {
        w.closeReason = reason;
        if (!w.ready) reject(new Error(reason));
      },
    });
    function ready(w) {
      w.ready = true;
      w.index = index;
      conns.push(w);
      resolve(nowUs() - started);
    }
  });
}

async function connectMany(o) {
  const hist = new Histogram();
  const errors = {};
  let next = 0;
  let failed = 0;
  const started = nowUs();
  const worker = async () => {
    while (next < o.count) {
      const index = o.startIndex + next++;
      try {
        hist.record(await connectOne(o, index));
      } catch (err) {
        failed++;
        errors[err.message] = (errors[err.message] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return { ok: o.count - failed, failed, errors, elapsedUs: nowUs() - started, hist: hist.toJSON() };
}

process.on('message', async (msg) => {
  const reply = (body) => process.send({ cmd: msg.cmd, ...body });
  switch (msg.cmd) {
    case 'connect':
      return reply(await connectMany(msg));
    case 'reset': {
      resetStats(msg.seqCount, msg.dedupe);
      const open = conns.filter((c) => !c.closed);
      return reply({ cpu: process.cpuUsage(), open: open.length, openReading: open.filter((c) => !c.paused).length });
    }
    case 'resume': {
      // a paused socket notices the server's close only once it reads again
      const paused = conns.filter((c) => c.paused);
      for (const c of paused) c.socket.resume();
      await new Promise((resolve) => setTimeout(resolve, msg.waitMs ?? 1000));
      return reply({ paused: paused.length, closed: paused.filter((c) => c.closed).length });
    }
    case 'count':
      return reply({ received: stats.received });
    case 'pause': {
      const n = Math.round(conns.length * msg.fraction);
      for (const c of conns.slice(0, n)) {
        c.paused = true;
        c.pause();
      }
      return reply({ paused: n });
    }
    case 'report': {
      const open = conns.filter((c) => !c.closed);
      return reply({
        received: stats.received,
        dups: stats.dups,
        hist: stats.hist.toJSON(),
        lastBySeq: Array.from(stats.lastBySeq),
        cpu: process.cpuUsage(),
        open: open.length,
        openReading: open.filter((c) => !c.paused).length,
      });
    }
    case 'close':
      for (const c of conns) c.close();
      conns.length = 0;
      agent.destroy();
      return reply({});
  }
});
process.on('message', (msg) => msg.cmd === 'exit' && process.exit(0));
process.on('disconnect', () => process.exit(0));
process.send({ cmd: 'ready' });
