// Baseline for the REST scenarios: a bare Fastify 5 app serving the same JSON as Herald's routes.
import Fastify from 'fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import { serve } from './common.mjs';

const app = Fastify({ logger: false });
app.post('/notifications', (req, reply) => reply.code(202).send({ id: randomUUID() }));
app.post('/notifications/batch', (req, reply) => reply.code(202).send({ ids: req.body.items.map(() => randomUUID()) }));
app.post('/auth/ticket', (req, reply) => reply.code(201).send({ ticket: randomBytes(24).toString('base64url'), expiresIn: 30 }));
app.get('/health/live', (req, reply) => reply.send({ status: 'ok' }));
await app.listen({ port: 0, host: '127.0.0.1' });
serve({ port: app.server.address().port, connections: () => 0, broadcast: () => undefined });
