import { getTicket, startHerald, type Herald } from './support/harness.js';

const APP = 'http://localhost:5173'; // an app on another origin, e.g. a Vite dev server
const preflight = (h: Herald, path: string) =>
  fetch(`${h.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
const mint = (h: Herald, userId: string) =>
  fetch(`${h.url}/dev/token`, { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: JSON.stringify({ userId }) });

/** Issue 12: an app on another origin, in development, gets its JWT from /dev/token as it gets its ticket. */
describe('POST /dev/token from another origin', () => {
  it('answers CORS like /auth/ticket on the development keys, with {token, expiresAt} and the user id as sub', async () => {
    const h = await startHerald();
    try {
      const pre = await preflight(h, '/dev/token');
      expect(pre.status).toBeLessThan(300);
      expect(pre.headers.get('access-control-allow-origin')).toMatch(/^(\*|http:\/\/localhost:5173)$/);
      expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');

      const res = await mint(h, 'ann');
      expect(res.status).toBe(201);
      expect(res.headers.get('access-control-allow-origin')).not.toBeNull();
      const body = (await res.json()) as { token: string; expiresAt: number };
      expect(Object.keys(body).sort()).toEqual(['expiresAt', 'token']);
      const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString()) as { sub: string; exp: number };
      expect(claims.sub).toBe('ann');
      expect(body.expiresAt).toBe(claims.exp * 1000);
      expect(await getTicket(h, body.token)).toEqual(expect.any(String));

      // the service routes stay closed to browsers
      const service = await fetch(`${h.url}/dev/notify`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST' } });
      expect(service.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await h.close();
    }
  });

  it('follows ALLOWED_ORIGINS, as /auth/ticket does', async () => {
    const h = await startHerald({ ALLOWED_ORIGINS: 'https://app.example' });
    try {
      expect((await preflight(h, '/dev/token')).headers.get('access-control-allow-origin')).toBeNull();
      expect((await preflight(h, '/auth/ticket')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await h.close();
    }
  });

  it('opens nothing on operator keys, where /dev/token does not exist', async () => {
    const h = await startHerald({ JWT_SECRET: 'an-operator-secret-of-some-length-0123456789', SERVICE_API_KEYS: 'operator-key' });
    try {
      expect((await preflight(h, '/dev/token')).headers.get('access-control-allow-origin')).toBeNull();
      expect((await mint(h, 'ann')).status).toBe(404);
    } finally {
      await h.close();
    }
  });
});
