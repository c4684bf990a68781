import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { ENV_VARIABLES, validateEnv } from '../src/config/env.validation.js';

const root = process.cwd();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** KEY=VALUE lines of a dotenv file (comments and blank lines skipped; quotes stripped). */
function parseDotenv(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, key, value]) => [key, value.replace(/^"(.*)"$/, '$1')]);
}

/** No Docker engine runs here: these checks keep the deploy files honest by reading them. */
describe('deploy files', () => {
  describe('.env.example', () => {
    const entries = parseDotenv(read('.env.example'));
    const names = entries.map(([key]) => key);

    it('lists every variable Herald reads, once, and nothing else', () => {
      expect([...names].sort()).toEqual([...ENV_VARIABLES].sort());
    });

    it('is a valid configuration whose values are the defaults', () => {
      const example = Object.fromEntries(entries);
      expect(validateEnv(example)).toEqual(validateEnv({}));
    });
  });

  describe('Dockerfile', () => {
    const dockerfile = read('Dockerfile');
    const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

    it('is multi-stage and runs the compiled server as a non-root user', () => {
      expect(instructions.filter((l) => /^FROM /.test(l)).length).toBeGreaterThanOrEqual(2);
      const lastFrom = instructions.map((l) => /^FROM /.test(l)).lastIndexOf(true);
      const runtime = instructions.slice(lastFrom);
      const user = runtime.find((l) => /^USER /.test(l));
      expect(user).toBeDefined();
      expect(user).not.toMatch(/^USER\s+(root|0)(\s|:|$)/);
      expect(runtime.some((l) => /^CMD .*dist\/main\.js/.test(l))).toBe(true);
      // the runtime image gets production dependencies only
      expect(dockerfile).toMatch(/npm ci --omit=dev/);
    });

    it('has a HEALTHCHECK on /health/live and stops with SIGTERM', () => {
      expect(instructions.find((l) => /^HEALTHCHECK /.test(l))).toMatch(/\/health\/live/);
      expect(instructions).toContain('STOPSIGNAL SIGTERM');
    });

    it('copies only files that exist', () => {
      const sources = instructions
        .filter((l) => /^COPY /.test(l) && !/--from=/.test(l))
        .flatMap((l) => l.replace(/^COPY\s+/, '').split(/\s+/).slice(0, -1));
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) expect([source, existsSync(join(root, source))]).toEqual([source, true]);
    });
  });

  describe('docker-compose.yml', () => {
    // Compose resolves `<<:` merge keys (YAML 1.1); js-yaml does with the merge tag
    const compose = load(read('docker-compose.yml'), { schema: CORE_SCHEMA.withTags(mergeTag) }) as { services: Record<string, any> };

    it('runs Redis, two Herald instances on it and a load balancer', () => {
      expect(Object.keys(compose.services).sort()).toEqual(['herald-1', 'herald-2', 'lb', 'redis']);
      for (const name of ['herald-1', 'herald-2']) {
        const service = compose.services[name];
        expect(service.build).toBe('.');
        expect(service.environment).toMatchObject({ NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379' });
        expect(service.depends_on.redis.condition).toBe('service_healthy');
        // Herald needs SHUTDOWN_TIMEOUT_MS (10 s) to drain before Docker's SIGKILL
        expect(parseInt(service.stop_grace_period, 10)).toBeGreaterThan(10);
      }
      const ports: string[] = ['herald-1', 'herald-2', 'lb'].flatMap((s) => compose.services[s].ports);
      // host:hostPort:containerPort, published on the loopback interface only
      expect(new Set(ports.map((p) => p.split(':')[1])).size).toBe(3);
      for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
      expect(compose.services.redis.ports).toBeUndefined();
    });

    it('stops at once without .env (a required env_file) rather than restarting instances that cannot start', () => {
      for (const name of ['herald-1', 'herald-2']) {
        const envFile = compose.services[name].env_file;
        const entries = (Array.isArray(envFile) ? envFile : [envFile]).map((e: string | { path: string; required?: boolean }) =>
          typeof e === 'string' ? { path: e, required: true } : { required: true, ...e },
        );
        expect(entries).toContainEqual({ path: '.env', required: true });
      }
    });

    it('points nginx at both instances, with WebSocket upgrades', () => {
      const [conf] = compose.services.lb.volumes[0].split(':');
      const nginx = read(conf);
      expect(nginx).toMatch(/server herald-1:3000/);
      expect(nginx).toMatch(/server herald-2:3000/);
      expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade/);
      expect(nginx).toMatch(/proxy_http_version 1\.1/);
    });
  });

  // issue 12: nginx's defaults got in the way (HTML 413, tickets in the access log, 503s during a drain, lost port)
  describe.each([
    ['deploy/nginx.conf', () => read('deploy/nginx.conf')],
    ['the recipe of docs/deployment.md', () => /```nginx\n([\s\S]*?)```/.exec(read('docs/deployment.md'))![1]],
  ])('nginx: %s', (_name, text) => {
    const conf = () => text().replace(/#.*$/gm, '');
    const directive = (name: string) => [...conf().matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, 'gm'))].map((m) => m[1].trim());
    const bytes = (size: string) => Number(/^\d+/.exec(size)![0]) * ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[size.slice(-1).toLowerCase()] ?? 1);

    it('moves upgrades off a draining instance: proxy_next_upstream error timeout http_503', () => {
      expect(directive('proxy_next_upstream')).toEqual(['error timeout http_503']);
    });

    it('lets bodies above MAX_BODY_BYTES through, so that Herald answers its JSON 413', () => {
      const [size] = directive('client_max_body_size');
      expect(bytes(size)).toBeGreaterThan(validateEnv({}).maxBodyBytes);
    });

    it('logs requests without their query string (no ?ticket= in the access log)', () => {
      const formats = Object.fromEntries(
        [...conf().matchAll(/^\s*log_format\s+(\S+)\s+([^;]+);/gm)].map((m) => [m[1], m[2]]),
      ) as Record<string, string>;
      const logs = directive('access_log');
      expect(logs.length).toBeGreaterThan(0);
      for (const log of logs) {
        const format = formats[log.split(/\s+/)[1]];
        expect(format).toBeDefined();
        expect(format).not.toMatch(/\$(request|request_uri|args|query_string|arg_\w+)\b/);
        expect(format).toMatch(/\$uri\b/);
      }
    });

    it('passes the Host header with its port ($http_host) and the scheme', () => {
      expect(directive('proxy_set_header')).toEqual(expect.arrayContaining(['Host $http_host', 'X-Forwarded-Proto $scheme']));
      expect(directive('proxy_set_header')).not.toContain('Host $host');
    });
  });
});
