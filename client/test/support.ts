import WebSocket from 'ws';
import { HeraldClient, type HeraldClientOptions, type HeraldEvents } from '../src/index.js';
import { ConnectionRegistry } from '../../src/connections/connection.registry.js';
import { mintToken, type Herald } from '../../test/support/harness.js';

const live = new Set<HeraldClient>();

/** Closes every client nodeClient() made, so a failed test leaves no reconnect loop behind (call in afterEach). */
export function closeClients(): void {
  for (const c of live) c.close();
  live.clear();
}

/** A HeraldClient on Node: `ws` for WebSocket, global fetch, a fresh dev-key token per call. */
export function nodeClient(
  h: Herald | string,
  path: HeraldClientOptions['path'],
  userId: string,
  overrides: Partial<HeraldClientOptions> = {},
): HeraldClient {
  const client = new HeraldClient({
    url: typeof h === 'string' ? h : h.url,
    path,
    getToken: () => mintToken(userId),
    WebSocket,
    ...overrides,
  });
  live.add(client);
  return client;
}

/** The next `event` matching `pred`, or a rejection after `timeoutMs`. */
export function nextEvent<K extends keyof HeraldEvents>(
  client: HeraldClient,
  event: K,
  pred: (payload: HeraldEvents[K]) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<HeraldEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching "${String(event)}" event within ${timeoutMs}ms`));
    }, timeoutMs);
    const off = client.on(event, (payload) => {
      if (!pred(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

export const opened = (client: HeraldClient, timeoutMs?: number) => nextEvent(client, 'open', () => true, timeoutMs);

/** Every payload of `event`, in order. */
export function collect<K extends keyof HeraldEvents>(client: HeraldClient, event: K): HeraldEvents[K][] {
  const seen: HeraldEvents[K][] = [];
  client.on(event, (payload) => seen.push(payload));
  return seen;
}

/** Resolves when `cond()` holds, checking after each event of `client` (no sleeps). */
export function until(client: HeraldClient, cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    // checked after the message's own event (notification, …) has run: collectors update first
    const off = client.on('message', () =>
      queueMicrotask(() => {
        if (!cond()) return;
        clearTimeout(timer);
        off();
        resolve();
      }),
    );
  });
}

/** A gate for the injected fetch: while closed, ticket calls wait (the client stays disconnected). */
export class FetchGate {
  private release?: () => void;
  private waiting?: Promise<void>;
  calls = 0;

  readonly fetch: NonNullable<HeraldClientOptions['fetch']> = async (url, init) => {
    this.calls++;
    if (this.waiting) await this.waiting;
    return fetch(url, init);
  };

  close(): void {
    this.waiting = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.waiting = undefined;
  }
}

/** The server side of a user's authenticated connections on one gateway of Herald `h`. */
export function serverConnections(h: Herald, userId: string, gateway: 'demo' | 'notification') {
  return [...h.app.get(ConnectionRegistry).all].filter((c) => c.userId === userId && c.path.replace(/^\//, '') === gateway);
}
