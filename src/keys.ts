/**
 * The keys redis-director derives from the ones you name. Each starts with
 * its base key, so a hash tag in the base key (`{app}:queue`) keeps the
 * derived keys in the same Redis Cluster slot.
 *
 * @module
 */

/** The hash holding payloads given to custom handlers until their writes land. */
export function inflightKey(queueKey: string): string {
  return `${queueKey}:inflight`;
}

/** The sorted set of in-flight publish calls, scored by the time they were made (ms). */
export function inflightIndexKey(queueKey: string): string {
  return `${queueKey}:inflight-index`;
}

/** The short-lived record that lets a retried call answer with its first result. */
export function callRecordKey(baseKey: string, callId: string): string {
  return `${baseKey}:call:${callId}`;
}

/**
 * How long a call record is kept (ms): far longer than `@upstash/redis`'s
 * retries of one request (about 4 s by default), short enough to cost little.
 */
export const RECORD_TTL_MS = 60_000;
