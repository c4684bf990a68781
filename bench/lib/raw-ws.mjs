// A deliberately small WebSocket client over net.Socket, so that thousands of
// connections per load-generator process cost little CPU: no per-message
// objects beyond a Buffer view, server frames parsed in place, client frames
// masked with a zero key (legal: the key's value is not checked by servers).
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const OP_TEXT = 1;
// Every socket reads into this one buffer (net's `onread`): no allocation and no
// 'data' event per read; a partial frame left at the end is copied out.
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const OP_CLOSE = 8;
const OP_PING = 9;

export class RawWs {
  /**
   * @param {{ host: string, port: number, path: string, localAddress?: string,
   *   onOpen(ws: RawWs): void, onMessage(ws: RawWs, payload: Buffer): void,
   *   onClose(ws: RawWs, reason: string): void }} o
   */
  constructor(o) {
    this.o = o;
    this.open = false;
    this.closed = false;
    this.pending = null;
    this.status = 0;
    this.seen = null;
    this.tag = 0;
    const socket = (this.socket = net.connect({
      host: o.host,
      port: o.port,
      localAddress: o.localAddress,
      onread: { buffer: READ_BUFFER, callback: (n, buf) => this.onData(buf.subarray(0, n)) },
    }));
    socket.setNoDelay(true);
    socket.on('connect', () => {
      const key = randomBytes(16).toString('base64');
      socket.write(
        `GET ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('error', (err) => this.end(`error: ${err.code ?? err.message}`));
    socket.on('close', () => this.end(this.open ? 'socket closed' : `refused (${this.status || 'no answer'})`));
  }

  onData(chunk) {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let pos = 0;
    if (!this.open) {
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return void (this.pending = Buffer.from(buf));
      this.status = Number(buf.toString('latin1', 9, 12));
      if (this.status !== 101) return void this.socket.destroy();
      this.open = true;
      pos = head + 4;
      this.o.onOpen(this);
    }
    while (buf.length - pos >= 2) {
      const b0 = buf[pos];
      let len = buf[pos + 1] & 0x7f;
      let start = pos + 2;
      if (len === 126) {
        if (buf.length - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        start = pos + 4;
      } else if (len === 127) {
        if (buf.length - pos < 10) break;
        len = Number(buf.readBigUInt64BE(pos + 2));
        start = pos + 10;
      }
      const end = start + len;
      if (end > buf.length) break;
      const op = b0 & 0x0f;
      if (op === OP_TEXT) this.o.onMessage(this, buf.subarray(start, end));
      else if (op === OP_PING) this.frame(0x0a, buf.subarray(start, end));
      else if (op === OP_CLOSE) this.socket.destroy();
      pos = end;
    }
    if (pos < buf.length) this.pending = Buffer.from(buf.subarray(pos));
  }

  frame(opcode, payload) {
    const len = payload.length;
    const headLen = len < 126 ? 6 : 8;
    const head = Buffer.allocUnsafe(headLen);
    head[0] = 0x80 | opcode;
    if (len < 126) head[1] = 0x80 | len;
    else {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    }
    head.writeUInt32BE(0, headLen - 4);
    this.socket.write(len ? Buffer.concat([head, payload]) : head);
  }

  send(text) {
    if (this.open && !this.closed) this.frame(OP_TEXT, Buffer.from(text));
  }

  pause() {
    this.socket.pause();
  }

  close() {
    this.socket.destroy();
  }

  end(reason) {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.o.onClose(this, reason);
  }
}
