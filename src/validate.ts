/**
 * Argument checks shared by the public classes. Each throws an
 * `InvalidArgumentError` that names the argument and says what to pass, and
 * runs before any request is sent.
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";
import type { DirectorRedis } from "./redis.ts";

/**
 * The documented limits, checked before any request.
 *
 * @example
 * ```ts
 * import { LIMITS } from "@redis-director/redis-director";
 *
 * console.log(LIMITS.maxBatchSize); // 100000
 * ```
 */
export const LIMITS: {
  /** Most payloads one `publish`, `publishMax`, `publishMin` or `addPayloads` call takes. */
  readonly maxBatchSize: number;
  /** Largest payload, in UTF-8 bytes. */
  readonly maxPayloadBytes: number;
  /** Largest `addPayloads` request body, in UTF-8 bytes of payloads (Upstash allows 10 MB). */
  readonly maxRequestBytes: number;
  /** Most subscribers one publisher holds. */
  readonly maxSubscribers: number;
  /** Longest key, in UTF-8 bytes (Upstash's limit). */
  readonly maxKeyBytes: number;
} = Object.freeze({
  maxBatchSize: 100_000,
  maxPayloadBytes: 1024 * 1024,
  maxRequestBytes: 9 * 1024 * 1024,
  maxSubscribers: 1000,
  maxKeyBytes: 32 * 1024,
});

const encoder = new TextEncoder();

/** Whether `text` is longer than `limit` bytes in UTF-8 (encodes it only when it must). */
export function exceedsBytes(text: string, limit: number): boolean {
  // A UTF-16 code unit takes 1 to 3 UTF-8 bytes.
  if (text.length > limit) return true;
  return text.length * 3 > limit && encoder.encode(text).length > limit;
}

/** `value` as a Redis key: a non-empty string within `LIMITS.maxKeyBytes`. */
export function requireKey(argument: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidArgumentError(argument, `expected a non-empty string, got ${describe(value)}`);
  }
  if (exceedsBytes(value, LIMITS.maxKeyBytes)) {
    throw new InvalidArgumentError(argument, `keys are limited to ${LIMITS.maxKeyBytes} bytes`);
  }
  return value;
}

/** The `redis` client of an options object, checking both are there. */
export function requireClient(
  options: { redis?: DirectorRedis } | null | undefined,
): DirectorRedis {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("options", "expected an options object");
  }
  if (typeof options.redis?.pipeline !== "function") {
    throw new InvalidArgumentError(
      "redis",
      "expected an @upstash/redis client (an object with a pipeline() method)",
    );
  }
  return options.redis;
}

/** `value` as a finite number. */
export function requireFinite(argument: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InvalidArgumentError(argument, `expected a finite number, got ${describe(value)}`);
  }
  return value;
}

/** `value` as a whole number in `[min, max]`. */
export function requireInteger(argument: string, value: unknown, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new InvalidArgumentError(
      argument,
      `expected a whole number from ${min} to ${max}, got ${describe(value)}`,
    );
  }
  return value as number;
}

/** A batch size: a whole number from 1 to `LIMITS.maxBatchSize`. */
export function requireBatchSize(argument: string, value: unknown): number {
  return requireInteger(argument, value, 1, LIMITS.maxBatchSize);
}

/** A payload as the string stored in Redis: strings as they are, finite numbers as `String(n)`. */
export function requirePayload(argument: string, value: unknown): string {
  let payload: string;
  if (typeof value === "string") payload = value;
  else if (typeof value === "number" && Number.isFinite(value)) payload = String(value);
  else {
    throw new InvalidArgumentError(
      argument,
      `payloads are strings or finite numbers, got ${describe(value)}; ` +
        `serialize objects yourself, e.g. with JSON.stringify`,
    );
  }
  if (exceedsBytes(payload, LIMITS.maxPayloadBytes)) {
    throw new InvalidArgumentError(
      argument,
      `a payload is above the limit of ${LIMITS.maxPayloadBytes} bytes; ` +
        `store large data elsewhere and publish its key`,
    );
  }
  return payload;
}

/** A subscriber's default, minimum and maximum scores, checked together. */
export function requireScoreBounds(
  defaultScore: unknown,
  minScore: unknown,
  maxScore: unknown,
): { defaultScore: number; minScore: number; maxScore: number } {
  const min = requireFinite("minScore", minScore);
  const max = requireFinite("maxScore", maxScore);
  const initial = requireFinite("defaultScore", defaultScore);
  if (min > max) {
    throw new InvalidArgumentError("minScore", `minScore (${min}) is above maxScore (${max})`);
  }
  if (initial < min || initial > max) {
    throw new InvalidArgumentError(
      "defaultScore",
      `defaultScore (${initial}) must lie within [minScore, maxScore] = [${min}, ${max}]`,
    );
  }
  return { defaultScore: initial, minScore: min, maxScore: max };
}

/** A short description of a bad value for error messages (never its full content). */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value.length === 0 ? "an empty string" : "a string";
  if (typeof value === "number") return String(value);
  return typeof value === "object" ? "an object" : typeof value;
}
