import { createHmac, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { ConfigError, validateEnv } from '../src/config/env.validation.js';
import { nowSec, unsignedJwt } from './support/e2e.js';
import { getTicket, openSocket, startHerald, type Herald } from './support/harness.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

const claims = (sub: string, extra: Record<string, unknown> = {}) => ({ sub, exp: nowSec() + 600, ...extra });

/** Signs with jsonwebtoken (through @nestjs/jwt), as an organisation's auth service would. */
const signWith = (privateKey: KeyObject, algorithm: 'RS256' | 'ES256', payload: Record<string, unknown>) =>
  new JwtService().sign(payload, { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm });

/** The classic algorithm-confusion forgery: HS256 with the public key's PEM text as the HMAC secret. */
const forgeHs256 = (secret: string, payload: Record<string, unknown>) => {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

/** A hand-made RS256 token with a header of our choosing (e.g. lying about its `kid` or `typ`). */
const rawRs256 = (privateKey: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown>) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
};

const ticketStatus = async (h: Herald, token: string) =>
  (await fetch(`${h.url}/auth/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status;

/** PROTOCOL §1: HS256 or RS256/ES256, algorithms pinned to the key, iss/aud, clock tolerance. */
describe('keys', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  describe('RS256 (JWT_PUBLIC_KEY is an RSA key)', () => {
    let h: Herald;
    beforeAll(async () => {
      // as it would come out of a .env file: one line, \n escaped
      h = await startHerald({ JWT_PUBLIC_KEY: pem(rsa.publicKey).replace(/\n/g, '\\n'), JWT_CLOCK_TOLERANCE_SEC: '30' });
    });
    afterAll(() => h.close());

    it('accepts an RS256 token over REST and in `auth`', async () => {
      const token = signWith(rsa.privateKey, 'RS256', claims('alice'));
      const client = await openSocket(h, '/demo', await getTicket(h, token));
      const ok = await client.request({ type: 'auth', id: 'a', data: { token } });
      expect(ok.type).toBe('auth_ok');
      expect(ok.data.userId).toBe('alice');
      await client.close();
    });

    it.each([
      ['HS256 signed with the public key PEM as its secret', () => forgeHs256(pem(rsa.publicKey), claims('alice'))],
      ['HS256 signed with the one-line (\\n-escaped) PEM', () => forgeHs256(pem(rsa.publicKey).replace(/\n/g, '\\n'), claims('alice'))],
      ['alg none', () => unsignedJwt(claims('alice'))],
      ['RS256 signed by another key', () => signWith(otherRsa.privateKey, 'RS256', claims('alice'))],
      ['ES256 (not the configured algorithm)', () => signWith(ec.privateKey, 'ES256', claims('alice'))],
      ['RS256 with a tampered payload', () => {
        const [head, , sig] = signWith(rsa.privateKey, 'RS256', claims('alice')).split('.');
        return `${head}.${b64(claims('admin'))}.${sig}`;
      }],
    ])('refuses %s', async (_name, token) => {
      expect(await ticketStatus(h, token())).toBe(401);
    });

    it('refuses the forged HS256 token in `auth` too: unauthorized, 4401', async () => {
      const good = signWith(rsa.privateKey, 'RS256', claims('alice'));
      const client = await openSocket(h, '/demo', await getTicket(h, good));
      const reply = await client.request({ type: 'auth', id: 'f', data: { token: forgeHs256(pem(rsa.publicKey), claims('alice')) } });
      expect(reply.data.code).toBe('unauthorized');
      expect((await client.closed).code).toBe(4401);
    });

    it('ignores header fields that try to pick another key or algorithm', async () => {
      const token = rawRs256(rsa.privateKey, { alg: 'RS256', typ: 'JWT', kid: '../../etc/passwd', jku: 'https://evil.example/keys' }, claims('alice'));
      expect(await ticketStatus(h, token)).toBe(201);
      const lying = rawRs256(otherRsa.privateKey, { alg: 'RS256', jwk: { kty: 'RSA' } }, claims('alice'));
      expect(await ticketStatus(h, lying)).toBe(401);
    });

    it('allows JWT_CLOCK_TOLERANCE_SEC of skew on exp and nbf, and no more', async () => {
      const now = nowSec();
      const at = (payload: Record<string, unknown>) => ticketStatus(h, signWith(rsa.privateKey, 'RS256', payload));
      expect(await at({ sub: 'a', exp: now - 10 })).toBe(201);
      expect(await at({ sub: 'a', exp: now - 60 })).toBe(401);
      expect(await at({ sub: 'a', exp: now + 600, nbf: now + 10 })).toBe(201);
      expect(await at({ sub: 'a', exp: now + 600, nbf: now + 60 })).toBe(401);
      expect(await at({ sub: 'a' })).toBe(401);
      expect(await at({ exp: now + 600 })).toBe(401);
    });
  });

  describe('ES256 with JWT_ISSUER and JWT_AUDIENCE', () => {
    let h: Herald;
    beforeAll(async () => {
      h = await startHerald({ JWT_PUBLIC_KEY: pem(ec.publicKey), JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: 'herald', JWT_CLOCK_TOLERANCE_SEC: '0' });
    });
    afterAll(() => h.close());

    const es = (extra: Record<string, unknown>) => signWith(ec.privateKey, 'ES256', claims('alice', extra));

    it('accepts ES256 with the configured iss and aud, over REST and in `auth`', async () => {
      const token = es({ iss: 'https://auth.example', aud: 'herald' });
      const client = await openSocket(h, '/notification', await getTicket(h, token));
      expect((await client.request({ type: 'auth', id: 'a', data: { token } })).type).toBe('auth_ok');
      await client.close();
      expect(await ticketStatus(h, es({ iss: 'https://auth.example', aud: ['other', 'herald'] }))).toBe(201);
    });

    it.each([
      ['no iss', () => es({ aud: 'herald' })],
      ['another iss', () => es({ iss: 'https://evil.example', aud: 'herald' })],
      ['no aud', () => es({ iss: 'https://auth.example' })],
      ['another aud', () => es({ iss: 'https://auth.example', aud: 'someone-else' })],
      ['RS256', () => signWith(rsa.privateKey, 'RS256', claims('alice', { iss: 'https://auth.example', aud: 'herald' }))],
      ['HS256 signed with the EC public key PEM', () => forgeHs256(pem(ec.publicKey), claims('alice', { iss: 'https://auth.example', aud: 'herald' }))],
      ['alg none', () => unsignedJwt(claims('alice', { iss: 'https://auth.example', aud: 'herald' }))],
      ['an expired token (no tolerance)', () => es({ iss: 'https://auth.example', aud: 'herald', exp: nowSec() - 1 })],
    ])('refuses %s', async (_name, token) => {
      expect(await ticketStatus(h, token())).toBe(401);
    });
  });

  describe('HS256 (JWT_SECRET)', () => {
    let h: Herald;
    const secret = 'a-real-secret-of-thirty-two-chars!';
    beforeAll(async () => {
      h = await startHerald({ JWT_SECRET: secret });
    });
    afterAll(() => h.close());

    it('accepts its secret only: not the development one, not an RS256 token', async () => {
      const hs = (key: string) => new JwtService().sign(claims('alice'), { secret: key, algorithm: 'HS256' });
      expect(await ticketStatus(h, hs(secret))).toBe(201);
      expect(await ticketStatus(h, hs('herald-dev-secret-do-not-use-in-production'))).toBe(401);
      expect(await ticketStatus(h, signWith(rsa.privateKey, 'RS256', claims('alice')))).toBe(401);
      const hs512 = new JwtService().sign(claims('alice'), { secret, algorithm: 'HS512' });
      expect(await ticketStatus(h, hs512)).toBe(401);
    });
  });

  describe('configuration', () => {
    it('pins the algorithm to the key type', () => {
      expect(validateEnv({ JWT_PUBLIC_KEY: pem(rsa.publicKey) }).jwt.algorithms).toEqual(['RS256']);
      expect(validateEnv({ JWT_PUBLIC_KEY: pem(ec.publicKey) }).jwt.algorithms).toEqual(['ES256']);
      expect(validateEnv({ JWT_SECRET: 'sixteen-chars-at-least' }).jwt.algorithms).toEqual(['HS256']);
    });

    it.each([
      ['an EC key on another curve than P-256', () => pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey), /P-256/],
      ['an Ed25519 key', () => pem(generateKeyPairSync('ed25519').publicKey), /RS256|ES256/],
      ['a private key', () => rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /public key/i],
      ['not a PEM', () => 'hello', /PEM/],
    ])('refuses JWT_PUBLIC_KEY that is %s, naming the variable', (_name, key, why) => {
      expect(() => validateEnv({ JWT_PUBLIC_KEY: key() })).toThrow(ConfigError);
      expect(() => validateEnv({ JWT_PUBLIC_KEY: key() })).toThrow(/JWT_PUBLIC_KEY/);
      expect(() => validateEnv({ JWT_PUBLIC_KEY: key() })).toThrow(why);
    });

    it('refuses JWT_SECRET and JWT_PUBLIC_KEY together', () => {
      expect(() => validateEnv({ JWT_SECRET: 'sixteen-chars-at-least', JWT_PUBLIC_KEY: pem(rsa.publicKey) })).toThrow(/JWT_SECRET or JWT_PUBLIC_KEY/);
    });
  });
});
