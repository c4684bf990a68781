import { HeraldError } from './errors.js';
import type { Envelope, ErrorData } from './protocol.js';

interface Pending {
  resolve: (frame: Envelope) => void;
  reject: (err: HeraldError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Requests waiting for the reply that carries their `id` (PROTOCOL §3). */
export class PendingRequests {
  private seq = 0;
  private readonly pending = new Map<string, Pending>();

  nextId(): string {
    return `c-${++this.seq}`;
  }

  wait(id: string, timeoutMs: number): Promise<Envelope> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HeraldError('timeout', `no reply to ${id} within ${timeoutMs}ms`, id));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  /** Settles the request this frame answers; false when it answers none. */
  settle(frame: Envelope): boolean {
    const p = frame.id === undefined ? undefined : this.pending.get(frame.id);
    if (!p) return false;
    this.pending.delete(frame.id!);
    clearTimeout(p.timer);
    if (frame.type === 'error') {
      const data = (frame.data ?? {}) as Partial<ErrorData>;
      p.reject(new HeraldError(data.code ?? 'internal', data.message ?? 'error', frame.id, data.errors));
    } else {
      p.resolve(frame);
    }
    return true;
  }

  /** Fails every waiting request (the connection they were sent on is gone). */
  rejectAll(err: (id: string) => HeraldError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err(id));
    }
    this.pending.clear();
  }
}
