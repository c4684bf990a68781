import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

const TICKET_PATH = '/auth/ticket';

/**
 * Browsers exchange their JWT for a ticket, usually from another origin: only
 * that route answers CORS, for the origins the upgrade accepts
 * (ALLOWED_ORIGINS, or any when empty). Service routes stay server-to-server.
 * In development `/dev/token` is added (app.factory.ts). The hook sits on these routes alone (attached as Nest registers it), so
 * no other request pays for CORS.
 */
export function registerTicketCors(fastify: FastifyInstance, allowedOrigins: string[], paths: string[] = [TICKET_PATH]): void {
  const allowed = (origin: string | undefined): origin is string =>
    origin !== undefined && (allowedOrigins.length === 0 || allowedOrigins.includes(origin));
  const cors = (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const origin = req.headers.origin;
    if (allowed(origin)) reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    done();
  };
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (!paths.includes(route.url) || route.method === 'OPTIONS') return;
    route.onRequest = [...(Array.isArray(route.onRequest) ? route.onRequest : route.onRequest ? [route.onRequest] : []), cors];
  });
  const preflight = (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    if (allowed(origin)) reply.header('access-control-allow-origin', origin);
    void reply
      .header('vary', 'Origin')
      .header('access-control-allow-methods', 'POST')
      .header('access-control-allow-headers', 'authorization,content-type')
      .header('access-control-max-age', '600')
      .header('content-length', '0')
      .code(204)
      .send();
  };
  for (const path of paths) fastify.options(path, preflight);
}
