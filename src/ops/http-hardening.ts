import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { HeraldConfig } from '../config/herald-config.js';

/**
 * What the node HTTP server must hold whichever platform (Express, Fastify) created it:
 * slowloris timeouts, and no `X-Powered-By`. Called before `listen`.
 */
export function hardenHttpServer(app: INestApplication, config: Pick<HeraldConfig, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs'>): void {
  const server = app.getHttpServer() as Server & { connectionsCheckingInterval: number };
  const { httpHeadersTimeoutMs: headers, httpRequestTimeoutMs: request } = config;
  // A request (an upgrade is one) whose headers, or whole body, take longer is answered 408 and closed.
  server.headersTimeout = headers;
  server.requestTimeout = request;
  // Node checks those deadlines every connectionsCheckingInterval (default 30 s, read at listen): a tenth of the timeout.
  server.connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(headers / 10)));
  // A socket that sends nothing at all never starts a request, so no deadline above applies: inactivity closes it.
  // (ws clears this on an upgraded socket; keep-alive idle sockets close earlier, at keepAliveTimeout.)
  server.timeout = headers;
  const instance = app.getHttpAdapter().getInstance() as { disable?: (setting: string) => void };
  instance.disable?.('x-powered-by');
}
