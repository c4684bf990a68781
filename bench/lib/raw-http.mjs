// A deliberately small HTTP/1.1 keep-alive client over net.Socket, for request-rate
// benchmarks where the load generator must cost far less than the server: one
// request in flight per connection, responses parsed in place (Content-Length only).
import net from 'node:net';

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;

export class RawHttp {
  /** @param {{ host: string, port: number, localAddress?: string }} o */
  constructor(o) {
    this.o = o;
    this.pending = null;
    this.want = -1;
    this.bodyStart = 0;
    this.status = 0;
    this.done = null;
    this.body = false;
    this.connected = new Promise((resolve, reject) => {
      this.socket = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress }, resolve);
      this.socket.once('error', reject);
    });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', () => this.fail('error'));
    this.socket.on('close', () => this.fail('closed'));
  }

  /** Sends one request (already serialised); resolves with [status, body?] once the response is complete. */
  request(bytes, keepBody = false) {
    this.body = keepBody;
    return new Promise((resolve) => {
      this.done = resolve;
      this.socket.write(bytes);
    });
  }

  onData(chunk) {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    if (this.want < 0) {
      const head = buf.indexOf(HEAD_END);
      if (head < 0) return void (this.pending = buf);
      this.status = Number(buf.toString('latin1', 9, 12));
      const m = CONTENT_LENGTH.exec(buf.toString('latin1', 0, head));
      this.bodyStart = head + 4;
      this.want = this.bodyStart + (m ? Number(m[1]) : 0);
    }
    if (buf.length < this.want) return void (this.pending = buf);
    const body = this.body ? buf.toString('utf8', this.bodyStart, this.want) : undefined;
    this.want = -1;
    const done = this.done;
    this.done = null;
    done?.([this.status, body]);
  }

  fail() {
    const done = this.done;
    this.done = null;
    done?.([0]);
  }

  close() {
    this.socket.destroy();
  }
}

/** One HTTP/1.1 request as bytes. */
export function httpRequest(method, path, host, headers = {}, body) {
  const data = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  if (data || method === 'POST') head += `Content-Length: ${Buffer.byteLength(data)}\r\n`;
  return Buffer.from(`${head}\r\n${data}`);
}
