import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt, ROOT } from './support/process.js';

/** docs/deployment.md "Reliability": an idle memory-mode stream costs at most this much heap (its key, offset and epoch). */
const IDLE_STREAM_BYTES = 256;

/**
 * Issue 11 §3: memory-mode history is freed at HISTORY_TTL_MS, idle streams keep only their position, and
 * HISTORY_MAX_STREAMS bounds how many. Measured in a child node with --expose-gc (heap after a forced GC).
 */
describe('memory-mode history: heap after GC', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  const measure = async (streams: number, ttlMs: number, maxStreams: number) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', join(ROOT, 'test/support/history-heap.mjs'), String(streams), String(ttlMs), String(maxStreams)], { cwd: ROOT });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { before: number; peak: number; after: number; streams: number };
  };

  it('frees 150k streams of history and 50 payloads of 900 KB at a 1 s TTL, down to the documented bound for 100k idle streams', async () => {
    const m = await measure(150_000, 1000, 100_000);
    expect(m.streams).toBe(100_000);
    // the payloads were really held (50 × 900 KB), and then really freed
    expect(m.peak - m.before).toBeGreaterThan(45 * 1024 * 1024);
    expect(m.after - m.before).toBeLessThan(100_000 * IDLE_STREAM_BYTES + 2 * 1024 * 1024);
  }, 60_000);
});
