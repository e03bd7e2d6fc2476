/**
 * The core invariant: every payload ever added is in exactly one place, the
 * queue, one subscriber's destination, or in flight. Nothing lost, nothing
 * twice.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Redis } from "@upstash/redis";

/** Where payloads can be. */
export interface Places {
  /** The publisher's queue key. */
  queue: string;
  /** Every destination key (sets or lists). */
  destinations: string[];
}

/** Every payload held at `key` (set members, list elements), with repeats. */
async function payloadsAt(raw: Redis, key: string): Promise<string[]> {
  const type = await raw.type(key);
  if (type === "set") return (await raw.smembers(key)).map(String);
  if (type === "list") return (await raw.lrange(key, 0, -1)).map(String);
  if (type === "none") return [];
  throw new Error(`${key} holds a ${type}, not a place for payloads`);
}

/** The payloads held in flight for custom handlers (fields "<call>#<n>"). */
async function inFlight(raw: Redis, queue: string): Promise<string[]> {
  const fields = (await raw.hgetall(`${queue}:inflight`)) as unknown as string[] | null;
  const payloads: string[] = [];
  for (let i = 0; fields && i < fields.length; i += 2) {
    if (String(fields[i]).includes("#")) payloads.push(String(fields[i + 1]));
  }
  return payloads;
}

/**
 * Asserts that the payloads found in the queue, the destinations and in
 * flight are exactly `added` as a multiset. `raw` must be a client with
 * automatic deserialization off.
 */
export async function assertConserved(raw: Redis, places: Places, added: readonly string[]) {
  const found = [
    ...(await payloadsAt(raw, places.queue)),
    ...(await inFlight(raw, places.queue)),
  ];
  for (const key of places.destinations) found.push(...(await payloadsAt(raw, key)));
  const count = (list: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const item of list) counts.set(item, (counts.get(item) ?? 0) + 1);
    return counts;
  };
  const want = count(added), got = count(found);
  const lost = [...want].filter(([p, n]) => (got.get(p) ?? 0) < n).map(([p]) => p);
  const twice = [...got].filter(([p, n]) => n > (want.get(p) ?? 0)).map(([p]) => p);
  assert.deepEqual(
    { lost: lost.slice(0, 10), duplicated: twice.slice(0, 10) },
    { lost: [], duplicated: [] },
    `conservation broken: ${lost.length} lost, ${twice.length} duplicated or unknown`,
  );
  assert.equal(found.length, added.length);
}
