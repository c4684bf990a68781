import { JwtService } from '@nestjs/jwt';
import { API_KEY, authenticate, getTicket, JWT_SECRET, mintToken, openSocket, type Frame, type Herald, type TestClient } from './harness.js';

/** Polls `check` until it stops throwing, for state that has no event to await (presence after a close). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 3000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

/** Polls `read` until it returns `want`; resolves with the milliseconds it took (a measured bound, not a sleep). */
export async function until<T>(read: () => Promise<T>, want: T, timeoutMs = 8000): Promise<number> {
  const started = Date.now();
  let last: T;
  while ((last = await read()) !== want) {
    if (Date.now() - started > timeoutMs) throw new Error(`still ${String(last)} after ${timeoutMs} ms, want ${String(want)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

/** `GET /presence/:userId` connections with the dev API key, or minus the HTTP status when it is not 200. */
export async function presenceCount(h: Herald, userId: string): Promise<number> {
  const res = await fetch(`${h.url}/presence/${encodeURIComponent(userId)}`, { headers: { 'x-api-key': API_KEY } });
  return res.status === 200 ? ((await res.json()) as { connections: number }).connections : -res.status;
}

/** Signs an arbitrary payload (HS256 with the dev secret unless told): for claims mintToken can't express. */
export function signJwt(
  payload: Record<string, unknown>,
  opts: { secret?: string; algorithm?: 'HS256' | 'HS384' | 'HS512' } = {},
): string {
  return new JwtService().sign(payload, { secret: opts.secret ?? JWT_SECRET, algorithm: opts.algorithm ?? 'HS256' });
}

export const nowSec = () => Math.floor(Date.now() / 1000);

/** An unsigned `alg: none` token, which must never be accepted. */
export function unsignedJwt(payload: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

/** Every frame a client receives, in arrival order (TestClient.next consumes; this does not). */
export function recordFrames(client: TestClient): Frame[] {
  const seen: Frame[] = [];
  client.ws.on('message', (data) => seen.push(JSON.parse(data.toString()) as Frame));
  return seen;
}

/**
 * Opens `path` for `userId` and sends `auth` with `authData`, recording every
 * frame from the very first. Resolves once the `auth` reply has arrived.
 */
export async function connectRecorded(
  h: Herald,
  path: '/demo' | '/notification',
  userId: string,
  authData: Record<string, unknown> = {},
): Promise<{ client: TestClient; seen: Frame[]; authOk: Frame; token: string }> {
  const token = mintToken(userId);
  const client = await openSocket(h, path, await getTicket(h, token));
  const seen = recordFrames(client);
  const authOk = await authenticate(client, token, authData);
  return { client, seen, authOk, token };
}

/** Sends `ping` with a fresh id and resolves with the reply (a `pong` once authenticated): the connection still works. */
let marker = 0;
export async function roundTrip(client: TestClient): Promise<Frame> {
  return client.request({ type: 'ping', id: `rt-${++marker}` });
}
