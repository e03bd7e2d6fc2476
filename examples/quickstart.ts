/**
 * The original redis-director README's example, in TypeScript: two routes,
 * one with the generic set handler and one with a custom handler, 1,000
 * payloads in the queue, 100 published.
 *
 * Run it against your database with
 * `UPSTASH_REDIS_REST_URL=... UPSTASH_REDIS_REST_TOKEN=... deno run -A examples/quickstart.ts`,
 * or let `deno task demo` start a local Redis for it.
 *
 * @module
 */

import { Redis } from "@upstash/redis";
// In your project: import { ... } from "jsr:@redis-director/redis-director";
import {
  genericSetHandler,
  type HandlerBatch,
  Publisher,
  type PublishReport,
  type Subscriber,
} from "../mod.ts";

/** A custom handler: lowers nothing itself (its score change is declared), pushes the payload to a key of its own. */
function customHandler(_subscriber: Subscriber, payload: string, tx: HandlerBatch): void {
  tx.lpush("super:secret:route:hehe", payload);
}

/** Builds the example's publisher on `redis`. */
export function quickstartPublisher(redis: Redis): Publisher {
  const pub = new Publisher({
    redis,
    scoreKey: "my_stuff:my_fancy_score",
    queueKey: "my_stuff:my_amazing_queue",
  });
  pub.addSubscriber("route_1", {
    // A generic handler: SADD to the subscriber's key, score -1 per payload.
    handler: genericSetHandler("route_1:queue", -1),
    defaultScore: 100, // the starting score
    minScore: 1, // the minimum score possible
    maxScore: 100, // the maximum score possible
  }).addSubscriber("route_2", {
    handler: customHandler,
    scoreChange: -2, // the custom handler's score change per payload
    defaultScore: 100,
    minScore: 0,
    maxScore: 1000,
  });
  return pub;
}

/** Runs the example: resets the scores, fills the queue, publishes 100 payloads. */
export async function quickstart(redis: Redis): Promise<PublishReport> {
  const pub = quickstartPublisher(redis);
  await pub.resetScores();
  // Fill up the publisher's queue (a set: 0..999 are kept once however often this runs).
  await pub.addPayloads(...Array.from({ length: 1000 }, (_, i) => i));
  // Distribute 100 of them to the subscribers!
  return await pub.publish(100);
}

/** Prints what went where: per subscriber, payloads delivered and score before and after. */
export function printReport(report: PublishReport): void {
  console.log(
    `published ${report.delivered} of ${report.popped} popped payloads in ${report.requests} HTTP request(s)`,
  );
  console.table(
    Object.fromEntries(
      Object.entries(report.bySubscriber).map(([name, delivered]) => [name, {
        delivered,
        "score before": report.scores[name].before,
        "score after": report.scores[name].after,
      }]),
    ),
  );
}

if (import.meta.main) {
  printReport(await quickstart(Redis.fromEnv()));
}
