// Baseline for the REST scenarios: a bare Express 5 app serving the same JSON as Herald's routes.
import express from 'express';
import { randomBytes, randomUUID } from 'node:crypto';
import { serve } from './common.mjs';

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(express.json({ limit: '1mb' }));
app.post('/notifications', (req, res) => res.status(202).json({ id: randomUUID() }));
app.post('/notifications/batch', (req, res) => res.status(202).json({ ids: req.body.items.map(() => randomUUID()) }));
app.post('/auth/ticket', (req, res) => res.status(201).json({ ticket: randomBytes(24).toString('base64url'), expiresIn: 30 }));
app.get('/health/live', (req, res) => res.json({ status: 'ok' }));
const server = app.listen(0, '127.0.0.1', () => serve({ port: server.address().port, connections: () => 0, broadcast: () => undefined }));
