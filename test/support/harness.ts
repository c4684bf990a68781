import type { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { request as httpRequest } from 'node:http';
import { PassThrough } from 'node:stream';
import WebSocket from 'ws';
import { createHeraldApp } from '../../src/app.factory.js';
import { DEV_API_KEY, DEV_JWT_SECRET } from '../../src/config/herald-config.js';

export const API_KEY = DEV_API_KEY;
export const JWT_SECRET = DEV_JWT_SECRET;

export interface Herald {
  app: INestApplication;
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT */
  wsUrl: string;
  /** Every JSON log line the app wrote. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * Starts a real Herald on port 0 with `env` overrides (quiet logs unless LOG_LEVEL is given). Jest sets
 * NODE_ENV=test, where the development keys need HERALD_DEV_KEYS=1: given unless the test says otherwise.
 */
export async function startHerald(env: Record<string, string> = {}): Promise<Herald> {
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const app = await createHeraldApp({ env: { LOG_LEVEL: 'silent', HERALD_DEV_KEYS: '1', ...env }, logStream });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    logs,
    close: () => app.close(),
  };
}

/** Signs a user JWT (HS256, dev secret unless given). `exp` is in seconds from now. */
export function mintToken(sub: string, opts: { expSec?: number; secret?: string; claims?: Record<string, unknown> } = {}): string {
  const payload: Record<string, unknown> = { sub, ...opts.claims };
  return new JwtService().sign(payload, {
    secret: opts.secret ?? JWT_SECRET,
    algorithm: 'HS256',
    expiresIn: opts.expSec ?? 3600,
  });
}

export async function getTicket(h: Herald, token: string): Promise<string> {
  const res = await fetch(`${h.url}/auth/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 201) throw new Error(`ticket: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { ticket: string }).ticket;
}

export interface Frame {
  type: string;
  data?: any;
  id?: string;
}

/** A real `ws` client that queues every frame so tests can await the next one. */
export class TestClient {
  readonly frames: Frame[] = [];
  private waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.opened.catch(() => undefined);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      const i = this.waiters.findIndex((w) => w.pred(frame));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        w.resolve(frame);
      } else {
        this.frames.push(frame);
      }
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame matching `pred` (already received or yet to come). */
  next(pred: (f: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    const i = this.frames.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve: (f: Frame) => (clearTimeout(timer), resolve(f)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs}ms; have ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  nextOfType(type: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === type, timeoutMs);
  }

  /** Sends a frame and waits for the reply carrying its id. */
  async request(frame: Frame & { id: string }, timeoutMs?: number): Promise<Frame> {
    this.send(frame);
    return this.next((f) => f.id === frame.id, timeoutMs);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }

  /** Closes, and cuts the socket if the server has not answered within `graceMs`: for cleanup, never hangs. */
  async dispose(graceMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, graceMs);
    });
    try {
      this.close();
    } catch {
      this.ws.terminate();
    }
    await Promise.race([this.closed.then(() => undefined), cut]);
    clearTimeout(timer);
  }
}

/** Opens a socket on `path` with a ticket (no auth sent). */
export async function openSocket(h: Herald, path: string, ticket?: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const qs = ticket === undefined ? '' : `?ticket=${encodeURIComponent(ticket)}`;
  const client = new TestClient(new WebSocket(`${h.wsUrl}${path}${qs}`, options));
  await client.opened;
  return client;
}

/** Ticket, socket and `auth`; resolves with the client and its `auth_ok`. */
export async function connectUser(
  h: Herald,
  path: '/demo' | '/notification',
  userId: string,
  authData: Record<string, unknown> = {},
): Promise<{ client: TestClient; authOk: Frame; token: string }> {
  const token = mintToken(userId);
  const client = await openSocket(h, path, await getTicket(h, token));
  return { client, authOk: await authenticate(client, token, authData), token };
}

/** Sends `auth` and resolves with its `auth_ok` (throws on anything else). */
export async function authenticate(client: TestClient, token: string, authData: Record<string, unknown> = {}): Promise<Frame> {
  const authOk = await client.request({ type: 'auth', id: 'auth', data: { token, ...authData } });
  if (authOk.type !== 'auth_ok') throw new Error(`auth failed: ${JSON.stringify(authOk)}`);
  return authOk;
}

/** The HTTP status an upgrade got (or 101 when it was accepted), with the refusal's body and content-type. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '', type: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }));
    });
    ws.once('error', (err) => reject(err));
  });
}

/**
 * POSTs JSON with the dev API key. Over node:http rather than global fetch, so it
 * works in jest's jsdom environment too (the hook tests).
 */
export function postJson(h: Pick<Herald, 'url'>, path: string, body: unknown, headers: Record<string, string> = {}) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise<{ status: number; body: any; text: string }>((resolve, reject) => {
    const req = httpRequest(`${h.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'content-length': String(Buffer.byteLength(payload)), ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: json, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
