/**
 * `npm run -s token -- alice [ttlSeconds]`: prints a user JWT for trying Herald out,
 * signed with the configured key (JWT_SECRET, or JWT_PRIVATE_KEY for RS256/ES256)
 * or the built-in development secret.
 */
import { JwtService } from '@nestjs/jwt';
import { ConfigError, validateEnv } from '../config/env.validation.js';

const [sub, ttlArg] = process.argv.slice(2);
if (!sub) {
  process.stderr.write('usage: npm run -s token -- <userId> [ttlSeconds=3600]\n');
  process.exit(2);
}
const ttl = Number(ttlArg ?? 3600);
if (!Number.isInteger(ttl) || ttl <= 0) {
  process.stderr.write(`ttlSeconds must be a positive integer, got ${ttlArg}\n`);
  process.exit(2);
}

try {
  const { jwt } = validateEnv(process.env);
  const privateKey = process.env.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n');
  if (jwt.publicKey && !privateKey) {
    throw new ConfigError('JWT_PUBLIC_KEY is set: give the matching JWT_PRIVATE_KEY to sign a token');
  }
  const signer = new JwtService();
  const token = signer.sign(
    { sub },
    {
      algorithm: jwt.algorithms[0],
      secret: jwt.secret,
      privateKey,
      expiresIn: ttl,
      ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
      ...(jwt.audience ? { audience: jwt.audience } : {}),
    },
  );
  process.stdout.write(`${token}\n`);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
