import { INestApplicationContext, Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageMappingProperties } from '@nestjs/websockets';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { lastValueFrom, Observable } from 'rxjs';
import type { WebSocket, WebSocketServer } from 'ws';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { CloseCode, HeraldWsException, parseFrame, Reply } from '../protocol/envelope.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AccessLog } from './access-log.js';
import { Connection, connectionOf, gatewayLabel, IDLE_QUEUE } from './connection.js';
import { ConnectionLifecycle } from './connection-lifecycle.service.js';
import { ConnectionRegistry } from './connection.registry.js';
import { UpgradeGate } from './upgrade.gate.js';
import { parseRequestTarget } from './request-target.js';
import { releaseReceiveBuffers } from './ws-frame.js';

type Handler = MessageMappingProperties;
type Transform = (data: unknown) => Observable<unknown>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** The checks `ws` makes before completing a handshake, made first so a malformed one cannot use a ticket up. */
function isWellFormedHandshake(req: http.IncomingMessage): boolean {
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  return (
    req.method === 'GET' &&
    req.headers.upgrade?.toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key.trim()) &&
    (version === '13' || version === '8')
  );
}

/** A gateway's message types, shared by all its connections (each holds only its bound handlers). */
interface DispatchTable {
  byType: Map<string, number>;
  transform: Transform;
}

const noop = () => undefined;

/** Shared 'error' listener of upgrading sockets (`this` is the socket): no closure per connection. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Answers a refused upgrade with a real HTTP status and a short plain-text body. */
function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Nest's WsAdapter, made to keep the contract: upgrades are admitted or
 * refused with an HTTP status (PROTOCOL §2), and every frame goes through one
 * envelope parser, rate limit and error path before reaching a gateway handler.
 */
export class HeraldWsAdapter extends WsAdapter {
  protected override readonly logger = new Logger('HeraldWsAdapter');

  constructor(private readonly app: INestApplicationContext) {
    super(app);
  }

  private readonly services = new Map<unknown, unknown>();
  /** By gateway path. */
  private readonly tables = new Map<string, DispatchTable>();

  /** Listeners shared by every socket (`this` is the socket), rather than closures per connection. */
  private readonly onMessage = (() => {
    const adapter = this;
    return function (this: WebSocket, raw: Buffer, isBinary: boolean) {
      adapter.receive(this, raw, isBinary);
    };
  })();
  /** ws answers pings itself unless told not to: here a ping is a message for the rate limit (issue 11: 5,000 pings, 5,000 pongs). */
  private readonly onPing = (() => {
    const adapter = this;
    return function (this: WebSocket, data: Buffer) {
      const conn = connectionOf(this);
      if (conn && adapter.admitMessage(conn, data.length)) this.pong(data, false, noop);
    };
  })();
  private readonly onSocketError = (() => {
    const logger = this.logger;
    return function (this: WebSocket, err: Error) {
      logger.debug({ connectionId: connectionOf(this)?.id, err: err.message }, 'socket error');
    };
  })();

  /** Providers resolved once: the adapter exists before the app is initialised, so not injected. */
  private service<T>(token: string | symbol | (abstract new (...args: never[]) => T)): T {
    if (!this.services.has(token)) this.services.set(token, this.app.get(token as never));
    return this.services.get(token) as T;
  }

  private get config() {
    return this.service<HeraldConfig>(HERALD_CONFIG);
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}): WebSocketServer {
    const { maxPayloadBytes } = this.config;
    if (options.path) this.service(MetricsService).registerGateway(gatewayLabel(options.path));
    // clientTracking off: ConnectionRegistry already holds every socket; ws's own Set and its close
    // listener per client would cost ~150 bytes a connection for nothing
    return super.create(port, { ...options, maxPayload: maxPayloadBytes, perMessageDeflate: false, clientTracking: false, autoPong: false });
  }

  /** What ws's client tracking did for Nest on shutdown: this gateway's sockets are cut with the server. */
  override async close(server: WebSocketServer & { path?: string }): Promise<void> {
    for (const conn of this.service(ConnectionRegistry).all) if (conn.path === server.path) conn.socket.terminate();
    await super.close(server);
  }

  /** Socket errors (oversize frames, invalid UTF-8, resets) are the peer's doing: ws closes the socket itself. */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (ws: WebSocket) => ws.on('error', this.onSocketError));
    server.on('error', (err) => this.logger.error({ err }, 'WebSocket server error'));
    return server;
  }

  protected override ensureHttpServerExists(port: number, httpServer = http.createServer()): http.Server | undefined {
    if (this.httpServersRegistry.has(port)) return;
    this.httpServersRegistry.set(port, httpServer);
    const listener = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', destroyOnError);
      this.handleUpgrade(port, req, socket, head).catch((err) => {
        this.logger.error({ err }, 'upgrade failed');
        refuseUpgrade(socket, 503, 'temporarily unavailable');
      });
    };
    httpServer.on('upgrade', listener);
    (this as unknown as { upgradeListenersRegistry: Map<number, unknown> }).upgradeListenersRegistry.set(port, listener);
    return httpServer;
  }

  private async handleUpgrade(port: number, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = parseRequestTarget(req.url);
    const path = target?.path;
    const wsServer = (this.wsServersRegistry.get(port) ?? []).find((s: { path: string }) => s.path === path) as
      | (WebSocketServer & { path: string })
      | undefined;
    const refuse = (status: number, reason: string) => {
      this.service(MetricsService).upgradesRefused.inc({ status: String(status) });
      this.service(AccessLog).refused(req, status, reason);
      refuseUpgrade(socket, status, reason);
    };
    if (!target) return refuse(400, 'malformed request target');
    if (!wsServer) return refuse(404, 'no gateway at this path');
    if (!isWellFormedHandshake(req)) return refuse(400, 'malformed WebSocket handshake');
    const admission = await this.service(UpgradeGate).admit(req, target.url);
    if (!admission.ok) return refuse(admission.status, admission.reason);
    try {
      if (socket.destroyed) return;
      // ws completes the handshake synchronously (no verifyClient), so the socket is registered before release.
      wsServer.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        socket.off('error', destroyOnError); // ws handles the socket's errors from here on
        // the server's own path string: one copy shared by all its connections
        this.service(ConnectionLifecycle).open(ws, req, wsServer.path, admission.userId);
        wsServer.emit('connection', ws, req);
      });
    } finally {
      admission.release();
    }
  }

  override bindMessageHandlers(client: WebSocket, handlers: Handler[], transform: Transform): void {
    const conn = connectionOf(client);
    if (!conn) return void client.terminate();
    // Nest binds the handlers to this client; the type → handler index is the gateway's, built once
    conn.handlers = handlers.map((h) => h.callback);
    if (!this.tables.has(conn.path)) {
      this.tables.set(conn.path, { byType: new Map(handlers.map((h, i) => [h.message as string, i])), transform });
    }
    client.on('message', this.onMessage);
    client.on('ping', this.onPing);
  }

  private receive(client: WebSocket, raw: Buffer, isBinary: boolean): void {
    releaseReceiveBuffers(client);
    const conn = connectionOf(client);
    if (!conn || !this.admitMessage(conn, raw.length)) return;
    // Handling is serial: while Redis hangs each message waits for the one before. Past the burst, drop.
    if (conn.waiting >= 2 * this.config.rateLimitPerSec) {
      conn.sendError(new HeraldWsException('rate_limited', 'too many messages waiting to be handled; this one was dropped'));
      return;
    }
    conn.waiting++;
    const tail: Promise<void> = conn.queue
      .then(() => this.dispatch(conn, raw, isBinary))
      .catch((err) => this.logger.error({ err, connectionId: conn.id }, 'dispatch failed'))
      .then(() => {
        conn.waiting--;
        // an idle connection holds the shared settled promise, not the tail of its last chain
        if (conn.queue === tail) conn.queue = IDLE_QUEUE;
      });
    conn.queue = tail;
  }

  /**
   * Herald's gateways implement no handleDisconnect: ConnectionLifecycle owns 'close'. Nest's
   * default would hold a once-wrapper and a closure on every socket for a Subject nobody reads.
   */
  override bindClientDisconnect(): void {}

  /** Counts the frame and applies the per-connection rate limit (PROTOCOL §3, §7: 4429). */
  private admitMessage(conn: Connection, bytes: number): boolean {
    conn.messagesIn++;
    conn.bytesIn += bytes;
    // Frames that arrive during the closing handshake are neither handled nor answered.
    if (conn.closing) return false;
    if (conn.bucket.take()) return true;
    const metrics = this.service(MetricsService);
    if (conn.bucket.dropsWithin(10_000) > 4 * this.config.rateLimitPerSec) {
      metrics.kills.inc({ reason: 'rate_limit' });
      conn.close(CloseCode.RATE_LIMITED, 'rate limit exceeded');
    } else {
      conn.sendError(new HeraldWsException('rate_limited', 'too many messages; this one was dropped'));
    }
    return false;
  }

  private async dispatch(conn: Connection, raw: Buffer, isBinary: boolean) {
    if (!conn.isOpen) return;
    const { byType, transform } = this.tables.get(conn.path)!;
    const metrics = this.service(MetricsService);
    const parsed = parseFrame(raw, isBinary);
    if ('error' in parsed) {
      conn.sendError(parsed.error, parsed.id);
      return;
    }
    const { frame } = parsed;
    this.service(AccessLog).message(conn, frame.type, raw.length);
    const index = byType.get(frame.type);
    const handler = index === undefined ? undefined : conn.handlers![index];
    metrics.messagesIn.inc({ gateway: gatewayLabel(conn.path), type: handler ? frame.type : 'unknown' });
    if (!handler) {
      const error = conn.authenticated
        ? new HeraldWsException('unknown_type', `no message type "${frame.type}" on ${conn.path}`)
        : new HeraldWsException('unauthenticated', 'send auth first');
      conn.sendError(error, frame.id);
      return;
    }
    try {
      const reply = (await lastValueFrom(transform(handler(frame, frame.type)), { defaultValue: undefined })) as
        | Reply
        | undefined;
      if (reply?.type) conn.reply(reply.type, reply.data, frame.id);
    } catch (err) {
      this.logger.error({ err, connectionId: conn.id, type: frame.type }, 'handler failed');
      conn.sendError(new HeraldWsException('internal', 'internal error'), frame.id);
    }
  }
}
