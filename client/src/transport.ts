import type { GatewayPath } from './protocol.js';

/** What the client needs of a WebSocket: the browser's and `ws`'s both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface FetchResponseLike {
  status: number;
  json(): Promise<unknown>;
}

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; signal?: AbortSignal },
) => Promise<FetchResponseLike>;

const OPEN = 1;
const CONNECTING = 0;

/** `http(s)://host[:port][/prefix]` + `/auth/ticket`, keeping any path prefix of the base URL. */
function ticketUrl(baseUrl: string): string {
  return new URL('auth/ticket', withSlash(baseUrl)).toString();
}

/** `ws(s)://host[:port][/prefix]/demo?ticket=…` for the base URL's scheme and host. */
export function socketUrl(baseUrl: string, path: GatewayPath, ticket: string): string {
  const url = new URL(path.slice(1), withSlash(baseUrl));
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.search = `ticket=${encodeURIComponent(ticket)}`;
  return url.toString();
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The failure of POST /auth/ticket: `status` is absent when the request itself failed. */
export class TicketError extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** PROTOCOL §2.1: exchanges the user JWT for a one-time ticket. */
export async function fetchTicket(fetchFn: FetchLike, baseUrl: string, token: string, timeoutMs: number): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await fetchFn(ticketUrl(baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    if (res.status !== 201) throw new TicketError(res.status, `POST /auth/ticket answered ${res.status}`);
    const body = (await res.json()) as { ticket?: unknown };
    if (typeof body?.ticket !== 'string') throw new TicketError(res.status, 'POST /auth/ticket answered without a ticket');
    return body.ticket;
  } catch (err) {
    if (err instanceof TicketError) throw err;
    throw new TicketError(undefined, `POST /auth/ticket failed: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The HTTP status of a refused upgrade, where the platform tells it: Node's
 * `ws` reports "Unexpected server response: 403"; browsers hide it.
 */
export function refusedStatus(errorEvent: unknown): number | undefined {
  const e = errorEvent as { message?: unknown; error?: { message?: unknown } } | undefined;
  const text = [e?.message, e?.error?.message].find((m): m is string => typeof m === 'string');
  const match = text?.match(/Unexpected server response: (\d{3})/);
  return match ? Number(match[1]) : undefined;
}

/** Detaches the client from a socket and ends it, without waiting for a closing handshake. */
export function discard(ws: WebSocketLike, code: number, reason: string): void {
  ws.onopen = ws.onmessage = ws.onclose = null;
  ws.onerror = () => undefined;
  try {
    const terminate = (ws as { terminate?: () => void }).terminate;
    if (typeof terminate === 'function' && code !== 1000) terminate.call(ws);
    else if (ws.readyState === OPEN || ws.readyState === CONNECTING) ws.close(code, reason);
  } catch {
    // already closed
  }
}
