import { connect, type Socket } from 'node:net';

/** Sends `request` verbatim on a fresh TCP socket; resolves with everything the server wrote before closing. */
export function rawRequest(url: string, request: string, timeoutMs = 5000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms; got ${JSON.stringify(answer)}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      // a complete response with Content-Length: enough (keep-alive servers leave the socket open)
      const head = answer.indexOf('\r\n\r\n');
      const length = /content-length:\s*(\d+)/i.exec(answer.slice(0, head));
      if (head >= 0 && length && Buffer.byteLength(answer.slice(head + 4)) >= Number(length[1])) socket.end();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', () => undefined);
    socket.write(request);
  });
}

/** A TCP socket that has written `partial` (a request the server must not wait on forever) and nothing more. */
export function halfSent(url: string, partial: string): Promise<{ socket: Socket; closed: Promise<number> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const started = Date.now();
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - started)));
    socket.on('error', () => undefined);
    // flowing, so that a response (a 408) does not keep the end of the stream, and 'close', from being seen
    socket.resume();
    socket.once('connect', () => {
      socket.write(partial);
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

/** The status code of a raw HTTP answer (0 when there was none). */
export const statusOf = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
