/**
 * Many publishers and subscriber-side loops at once on the same keys: the
 * delivery guarantee ("every payload is in exactly one place") and the score
 * bounds must hold under real concurrency, not only one call at a time.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  genericListHandler,
  genericSetHandler,
  type Handler,
  Publisher,
  type PublishReport,
  Subscriber,
} from "../mod.ts";
import { assertConserved } from "./support/conservation.ts";
import { range, type Space, space } from "./support/fixtures.ts";
import { lecuyer } from "./support/model.ts";
import { newRedis } from "./support/redis.ts";

const PUBLISHERS = 20;
const PUBLISHES_EACH = 100;
const PAYLOADS = 10_000;
/** A subscriber loop takes at most this many payloads per iteration. */
const LOOP_BATCH = 25;
/** Safety bounds: a loop gives up after this many iterations, everything after the deadline. */
const LOOP_MAX_ITERATIONS = 20_000;
const DEADLINE_MS = 120_000;

interface Route {
  name: string;
  kind: "set" | "list";
  custom: boolean;
  change: number;
  defaultScore: number;
  minScore: number;
  maxScore: number;
}

/** A route: [name, destination type, custom handler?, change, default, min, max]. */
const route = (
  ...[name, kind, custom, change, defaultScore, minScore, maxScore]: [
    string,
    "set" | "list",
    boolean,
    number,
    number,
    number,
    number,
  ]
): Route => ({ name, kind, custom, change, defaultScore, minScore, maxScore });

/** Five subscribers: generic set and list handlers, and custom handlers writing a set and a list. */
const ROUTES: Route[] = [
  route("r0", "set", false, -1, 250, 0, 250),
  route("r1", "list", false, -2, 200, 0, 300),
  route("r2", "set", false, -1, 100, 1, 150),
  route("r3", "set", true, -1, 150, 0, 200),
  route("r4", "list", true, -3, 300, 0, 450),
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("concurrency", () => {
  let s: Space;
  before(() => {
    s = space("concurrency");
  });
  after(() => s.dispose());

  it(
    `${PUBLISHERS} publishers x ${PUBLISHES_EACH} publishes over ${PAYLOADS} payloads, with ` +
      `${ROUTES.length} subscriber loops draining and raising scores: every payload in exactly ` +
      "one place, scores within bounds, no error",
    async () => {
      const queue = s.key("queue");
      const scoreKey = s.key("scores");
      const dest = (r: Route) => s.key(`dest:${r.name}`);
      const consumed = (r: Route) => s.key(`consumed:${r.name}`);
      const deadline = Date.now() + DEADLINE_MS;

      const handlerOf = (r: Route): Handler => {
        if (!r.custom) {
          return r.kind === "set"
            ? genericSetHandler(dest(r), r.change)
            : genericListHandler(dest(r), r.change);
        }
        return (_subscriber, payload, tx) => {
          if (r.kind === "set") tx.sadd(dest(r), payload);
          else tx.rpush(dest(r), payload);
        };
      };
      /** Odd publishers know all five routes; even ones only the generic routes (1 request). */
      const makePublisher = (index: number) => {
        const pub = new Publisher({
          redis: newRedis(),
          scoreKey,
          queueKey: queue,
          seed: 1000 + index,
          maxPayloadsPerScript: index % 4 === 1 ? 3 : 10_000, // some publishes span script calls
        });
        for (const r of ROUTES) {
          if (r.custom && index % 2 === 0) continue;
          pub.addSubscriber(r.name, {
            handler: handlerOf(r),
            scoreChange: r.custom ? r.change : undefined,
            defaultScore: r.defaultScore,
            minScore: r.minScore,
            maxScore: r.maxScore,
          });
        }
        return pub;
      };

      const payloads = range(PAYLOADS, "cc");
      const full = makePublisher(1);
      assert.equal(await full.addPayloads(...payloads), PAYLOADS);

      const checkScores = (where: string, scores: Record<string, number>) => {
        for (const r of ROUTES) {
          if (!(r.name in scores)) continue;
          const score = scores[r.name];
          assert.ok(
            score >= r.minScore && score <= r.maxScore,
            `${where}: ${r.name} has ${score}, outside [${r.minScore}, ${r.maxScore}]`,
          );
        }
      };

      let publishersDone = false;
      const reports: PublishReport[] = [];
      const publishers = Array.from({ length: PUBLISHERS }, async (_, index) => {
        const pub = makePublisher(index);
        const draw = lecuyer(7 + index, 11 + index);
        for (let i = 0; i < PUBLISHES_EACH; i++) {
          if (Date.now() > deadline) throw new Error(`publisher ${index}: deadline passed`);
          const n = 1 + Math.floor(draw() * 10); // small batches: 1..10
          const mode = (index + i) % 4; // half random, a quarter each max and min
          const report =
            await (mode < 2 ? pub.publish(n) : mode === 2 ? pub.publishMax(n) : pub.publishMin(n));
          assert.deepEqual(report.failures, [], `publisher ${index}, publish ${i}`);
          assert.equal(report.returned, 0);
          checkScores(`publisher ${index}, publish ${i}`, mapAfter(report));
          reports.push(report);
        }
      });

      const loops = ROUTES.map(async (r) => {
        const redis = newRedis({ automaticDeserialization: false, autoPipelining: false });
        const subscriber = new Subscriber({
          redis,
          scoreKey,
          scoreMember: r.name,
          defaultScore: r.defaultScore,
          minScore: r.minScore,
          maxScore: r.maxScore,
        });
        let taken = 0;
        for (let iteration = 0;; iteration++) {
          assert.ok(iteration < LOOP_MAX_ITERATIONS, `loop ${r.name}: too many iterations`);
          assert.ok(Date.now() < deadline, `loop ${r.name}: deadline passed`);
          const done = publishersDone; // read before popping: an empty pop after it is final
          const batch = (r.kind === "set"
            ? await redis.spop<string[]>(dest(r), LOOP_BATCH)
            : await redis.lpop<string[]>(dest(r), LOOP_BATCH)) ?? [];
          if (batch.length === 0) {
            if (done) {
              return taken;
            }
            await sleep(2);
            continue;
          }
          await redis.rpush(consumed(r), ...batch.map(String));
          taken += batch.length;
          // Room for as many as it consumed: give back what their deliveries took.
          const score = await subscriber.addScore(batch.length * -r.change);
          checkScores(`loop ${r.name}`, { [r.name]: score });
        }
      });

      await Promise.all(publishers).finally(() => {
        publishersDone = true;
      });
      const taken = await Promise.all(loops);

      // Nothing lost, nothing twice: queue, destinations, consumed lists and in flight.
      await assertConserved(s.raw, {
        queue,
        destinations: [...ROUTES.map(dest), ...ROUTES.map(consumed)],
      }, payloads);
      const status = await full.status();
      assert.equal(status.inFlight, 0, "every custom publish released its payloads");

      // The reports add up to what moved and what the loops consumed.
      assert.equal(reports.length, PUBLISHERS * PUBLISHES_EACH);
      const popped = reports.reduce((sum, r) => sum + r.popped, 0);
      assert.equal(popped, PAYLOADS - status.queueSize);
      ROUTES.forEach((r, i) => {
        const delivered = reports.reduce(
          (sum, report) => sum + (report.bySubscriber[r.name] ?? 0),
          0,
        );
        assert.equal(taken[i], delivered, `${r.name}: consumed = delivered`);
      });
      for (const r of ROUTES) assert.equal(await s.raw.exists(dest(r)), 0, `${r.name} drained`);
      assert.ok(popped > PAYLOADS / 2, `only ${popped} payloads moved`);

      // Scores within bounds at the end, through the library and raw ZSCORE.
      checkScores("scores()", await full.scores());
      for (const r of ROUTES) {
        const stored = await s.raw.zscore(scoreKey, r.name);
        if (stored !== null) checkScores("ZSCORE", { [r.name]: Number(stored) });
      }
    },
  );
});

function mapAfter(report: PublishReport): Record<string, number> {
  return Object.fromEntries(Object.entries(report.scores).map(([k, v]) => [k, v.after]));
}
