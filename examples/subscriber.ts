/**
 * The subscriber side: drain your own key and raise your score by what you
 * took, so the publisher sends you more when you have room (back pressure).
 *
 * Run it next to the quickstart:
 * `UPSTASH_REDIS_REST_URL=... UPSTASH_REDIS_REST_TOKEN=... deno run -A examples/subscriber.ts`
 *
 * @module
 */

import { Redis } from "@upstash/redis";
// In your project: import { Subscriber } from "jsr:@redis-director/redis-director";
import { Subscriber } from "../mod.ts";

/** The quickstart's route_1, seen from its own side. */
export function route1(redis: Redis): Subscriber {
  return new Subscriber({
    redis,
    scoreKey: "my_stuff:my_fancy_score",
    scoreMember: "route_1",
    defaultScore: 100,
    minScore: 1,
    maxScore: 100,
  });
}

/**
 * Takes up to `batch` payloads from `key` (a set, as the generic set handler
 * fills it), handles them with `work`, then gives back one score point per
 * payload handled. Returns the payloads handled and the new score.
 */
export async function drainOnce(
  redis: Redis,
  subscriber: Subscriber,
  key: string,
  batch: number,
  work: (payload: string) => Promise<void> | void = () => {},
): Promise<{ handled: string[]; score: number }> {
  const taken = (await redis.spop<string[]>(key, batch)) ?? [];
  const handled = taken.map(String);
  for (const payload of handled) await work(payload);
  // Room again: raise the score by what was handled (clamped to maxScore).
  const score = handled.length > 0
    ? await subscriber.addScore(handled.length)
    : await subscriber.getScore();
  return { handled, score };
}

if (import.meta.main) {
  const redis = Redis.fromEnv();
  const sub = route1(redis);
  // Want to boost your chances of being chosen? Add some score!
  console.log("score after +10:", await sub.addScore(10));
  // Set the score! This ignores the min/max score.
  console.log("score after set 500:", await sub.setScore(500));
  // Messed up the score? Reset it back to its default.
  console.log("score after reset:", await sub.resetScore());
  for (let round = 0; round < 3; round++) {
    const { handled, score } = await drainOnce(redis, sub, "route_1:queue", 20);
    console.log(`round ${round + 1}: handled ${handled.length} payloads, score now ${score}`);
  }
}
