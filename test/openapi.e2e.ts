import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, type Herald } from './support/harness.js';

type Operation = {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};
interface OpenApi {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { required?: string[]; properties: Record<string, unknown> }>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

/** Issue 12: GET /docs-json lints clean under Redocly's recommended rules, and says what the API really answers. */
describe('GET /docs-json (OpenAPI)', () => {
  let h: Herald;
  let doc: OpenApi;
  let text: string;

  beforeAll(async () => {
    h = await startHerald();
    text = await (await fetch(`${h.url}/docs-json`)).text();
    doc = JSON.parse(text) as OpenApi;
  });
  afterAll(() => h.close());

  it('names a server', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('declares security on every operation: none (explicitly) on health, metrics and the AsyncAPI document', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) expect([method, path, Array.isArray(op.security)]).toEqual([method, path, true]);
    }
    for (const path of ['/health/live', '/health/ready', '/metrics', '/asyncapi.json'])
      expect([path, doc.paths[path].get.security]).toEqual([path, []]);
  });

  it('documents the 503 of /auth/ticket and /presence, and every error with one error-body schema', () => {
    expect(Object.keys(doc.paths['/auth/ticket'].post.responses)).toEqual(expect.arrayContaining(['401', '503']));
    expect(Object.keys(doc.paths['/presence/{userId}'].get.responses)).toEqual(expect.arrayContaining(['401', '503']));
    const errorBody = doc.components.schemas.ErrorBody;
    expect(errorBody.required).toEqual(expect.arrayContaining(['statusCode', 'message', 'error']));
    expect(Object.keys(errorBody.properties)).toContain('errors');
    for (const path of ['/auth/ticket', '/notifications', '/notifications/broadcast', '/presence/{userId}']) {
      for (const [method, op] of Object.entries(doc.paths[path])) {
        for (const [status, response] of Object.entries(op.responses).filter(([s]) => Number(s) >= 400)) {
          expect([method, path, status, response.content?.['application/json']?.schema?.$ref]).toEqual([
            method,
            path,
            status,
            '#/components/schemas/ErrorBody',
          ]);
        }
      }
    }
  });

  it('describes the API key as a bearer token without claiming it is a JWT', () => {
    expect(doc.components.securitySchemes['api-key-bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes['api-key-bearer']).not.toHaveProperty('bearerFormat');
    expect(doc.components.securitySchemes['user-jwt']).toMatchObject({ bearerFormat: 'JWT' });
  });

  it('documents GET /asyncapi.json', async () => {
    expect(doc.paths['/asyncapi.json'].get.responses).toHaveProperty('200');
    expect(((await (await fetch(`${h.url}/asyncapi.json`)).json()) as { asyncapi: string }).asyncapi).toMatch(/^3\./);
  });

  it('passes `redocly lint` (recommended rules, redocly.yaml) with no error and no warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-openapi-'));
    try {
      writeFileSync(join(dir, 'openapi.json'), text);
      const out = execFileSync(
        process.execPath,
        ['node_modules/@redocly/cli/bin/cli.js', 'lint', join(dir, 'openapi.json'), '--config', 'redocly.yaml', '--format', 'json'],
        {
          encoding: 'utf8',
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const report = JSON.parse(out) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string }> };
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
