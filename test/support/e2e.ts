import { JwtService } from '@nestjs/jwt';
import type WebSocket from 'ws';
import { API_KEY, authenticate, connectUser, getTicket, JWT_SECRET, mintToken, openSocket, postJson, type Frame, type Herald, type TestClient } from './harness.js';

/** Polls `check` until it stops throwing, for state that has no event to await (presence after a close). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 20): Promise<T> {
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
export async function until<T>(read: () => Promise<T>, want: T, timeoutMs = 15_000): Promise<number> {
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

/** Proves nothing else is queued for each client: a ping's pong is the next frame, and nothing waits unread. */
export async function nothingMore(...clients: TestClient[]): Promise<void> {
  for (const c of clients) {
    expect((await roundTrip(c)).type).toBe('pong');
    expect(c.frames).toEqual([]);
  }
}

/** POST /notifications for `userIds`; asserts the 202 and resolves with the id. */
export async function notify(
  h: Pick<Herald, 'url'>,
  userIds: string | string[],
  payload: Record<string, unknown> = {},
  extra: { event?: string; idempotencyKey?: string } = {},
): Promise<string> {
  const res = await postJson(h, '/notifications', { userIds: typeof userIds === 'string' ? [userIds] : userIds, event: 'test.event', payload, ...extra });
  if (res.status !== 202) throw new Error(`POST /notifications: ${res.status} ${res.text}`);
  return res.body.id as string;
}

/** POST /notifications/broadcast; asserts the 202 and resolves with the id. */
export async function notifyAll(
  h: Pick<Herald, 'url'>,
  payload: Record<string, unknown> = {},
  extra: { event?: string; idempotencyKey?: string } = {},
): Promise<string> {
  const res = await postJson(h, '/notifications/broadcast', { event: 'test.broadcast', payload, ...extra });
  if (res.status !== 202) throw new Error(`POST /notifications/broadcast: ${res.status} ${res.text}`);
  return res.body.id as string;
}

/**
 * Every socket a test opens, closed after it whether it passed or not
 * (`afterEach(() => clients.closeAll())`); a server that does not answer the
 * close is cut, so cleanup never hangs.
 */
export class ClientPool {
  private readonly open = new Set<TestClient>();

  /** Tracks clients opened elsewhere; returns the first. */
  push(...clients: TestClient[]): TestClient {
    for (const c of clients) this.open.add(c);
    return clients[0];
  }

  async connect(...args: Parameters<typeof connectUser>): ReturnType<typeof connectUser> {
    const result = await connectUser(...args);
    this.open.add(result.client);
    return result;
  }

  async openSocket(h: Herald, path: string, ticket?: string, options?: WebSocket.ClientOptions): Promise<TestClient> {
    return this.push(await openSocket(h, path, ticket, options));
  }

  async connectRecorded(...args: Parameters<typeof connectRecorded>): ReturnType<typeof connectRecorded> {
    const result = await connectRecorded(...args);
    this.open.add(result.client);
    return result;
  }

  async closeAll(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    await Promise.all(all.map((c) => c.dispose()));
  }
}
