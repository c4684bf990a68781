import { ServiceUnavailableException } from '@nestjs/common';
import { DuplicatePublicationError, PublishOutcomeUnknownError } from '../broker/broker.js';

/** How long an `idempotencyKey` holds (PROTOCOL §6: 5 minutes). */
export interface KeyedPublish {
  /** The endpoint's namespace for keys: the same key on another endpoint is another key. */
  endpoint: string;
  idempotencyKey?: string;
  ttlMs: number;
}

/**
 * Runs one REST publication and says truthfully what happened (docs/deployment.md,
 * "Publish outcomes"):
 * - published: 202 with `id`; a retry with the same key answers the first id;
 * - certainly not published (the broker refused, or the command never left
 *   this instance): 503 "nothing was delivered", and the key stays free;
 * - sent but unanswered (Redis hung or dropped the connection mid-call):
 *   503 (PROTOCOL §9's status for an unreachable Redis) with `outcome: "unknown"`
 *   and the `id` it would have; the key is taken if and only if it
 *   was published, so a retry with the same key answers that id (it was
 *   delivered) or publishes it now (it was not): never twice.
 */
export async function publishOnce(
  id: string,
  keyed: KeyedPublish,
  publish: (idempotency?: { key: string; id: string; ttlMs: number }) => Promise<void>,
): Promise<string> {
  const key = keyed.idempotencyKey && `idem:${keyed.endpoint}:${keyed.idempotencyKey}`;
  try {
    await publish(key ? { key, id, ttlMs: keyed.ttlMs } : undefined);
    return id;
  } catch (err) {
    if (err instanceof DuplicatePublicationError) return err.id;
    if (err instanceof PublishOutcomeUnknownError) {
      throw new ServiceUnavailableException(
        {
          statusCode: 503,
          error: 'Service Unavailable',
          outcome: 'unknown',
          id,
          message: key
            ? 'redis did not answer in time: the notification may or may not have been delivered; retry with the same idempotencyKey (it answers this id if it was delivered, and delivers it once if not)'
            : 'redis did not answer in time: the notification may or may not have been delivered; a retry without an idempotencyKey may deliver it twice',
        },
        { cause: err },
      );
    }
    throw new ServiceUnavailableException(
      { statusCode: 503, error: 'Service Unavailable', outcome: 'not_delivered', message: 'broker unavailable; nothing was delivered, retry later' },
      { cause: err },
    );
  }
}
