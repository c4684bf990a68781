import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_URL = 'redis://127.0.0.1:6379';

const HOW_TO_START =
  'The cluster tests need a Redis at 127.0.0.1:6379 and none answered. Start one with:\n' +
  '  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

/** Answers PING within a second, or says no. */
async function pings(port: number): Promise<boolean> {
  const socket = new Socket();
  const reply = new Promise<boolean>((resolve) => {
    socket.once('data', (d) => resolve(d.toString().startsWith('+PONG')));
    socket.once('error', () => resolve(false));
    setTimeout(() => resolve(false), 1000).unref();
  });
  socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  const ok = await reply;
  socket.destroy();
  return ok;
}

/** Throws (failing the suite, never skipping it) when the shared test Redis is not running. */
export async function requireRedis(): Promise<void> {
  if (!(await pings(6379))) throw new Error(HOW_TO_START);
}

/** A REDIS_KEY_PREFIX no other run uses: glob-safe characters only. */
export function uniquePrefix(name: string): string {
  return `herald-test:${name}:${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN + UNLINK; never FLUSHALL). Returns how many there were. */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A throwaway `redis-server` child on its own port, for tests that stop and start Redis. */
export class ThrowawayRedis {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  static async start(extraArgs?: string[]): Promise<ThrowawayRedis> {
    const redis = await ThrowawayRedis.reserve(extraArgs);
    await redis.start();
    return redis;
  }

  /** A free port for a Redis not started yet (`start()` it later). */
  static async reserve(extraArgs: string[] = ['--save', '', '--appendonly', 'no']): Promise<ThrowawayRedis> {
    return new ThrowawayRedis(await freePort(), extraArgs);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts, on the same port) and resolves once it answers PING. */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', ...this.extraArgs], {
      stdio: 'ignore',
    });
    this.child = child;
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    const deadline = Date.now() + 5000;
    while (!(await pings(this.port))) {
      if (spawnError) throw new Error(`cannot run redis-server (needed on PATH for the outage tests): ${spawnError.message}`);
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL by default: the crash case. Resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  /** Pauses (SIGSTOP) or resumes (SIGCONT) the process: a Redis that hangs without closing sockets. */
  pause(paused: boolean): void {
    this.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }
}
