import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { genericSetHandler, Publisher } from "../mod.ts";
import { type Space, space } from "./support/fixtures.ts";

/** Weights 10:20:30:40 held constant (score change 0). */
const WEIGHTS = { w10: 10, w20: 20, w30: 30, w40: 40 };
/** The chi-square critical value for 3 degrees of freedom at p = 0.0001. */
const CRITICAL = 21.108;

function chiSquare(observed: Record<string, number>, total: number): number {
  const sum = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  return Object.entries(WEIGHTS).reduce((chi, [name, weight]) => {
    const expected = (total * weight) / sum;
    return chi + (observed[name] - expected) ** 2 / expected;
  }, 0);
}

describe("weighted random distribution", () => {
  let s: Space;
  before(() => {
    s = space("distribution");
  });
  after(() => s.dispose());

  async function picks(label: string, options: { seed?: number }): Promise<Record<string, number>> {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key(`${label}:s`),
      queueKey: s.key(`${label}:q`),
      maxPayloadsPerScript: 2_500, // several script calls, each seeded anew
      ...options,
    });
    for (const [name, weight] of Object.entries(WEIGHTS)) {
      pub.addSubscriber(name, {
        handler: genericSetHandler(s.key(`${label}:${name}`), 0),
        defaultScore: weight,
      });
    }
    await pub.addPayloads(...Array.from({ length: 10_000 }, (_, i) => i));
    const report = await pub.publish(10_000);
    assert.equal(report.popped, 10_000);
    return { ...report.bySubscriber };
  }

  it("matches the weights (chi-square, p > 0.0001) over 10,000 picks with a fixed seed", async () => {
    const observed = await picks("fixed", { seed: 20261204 });
    assert.ok(chiSquare(observed, 10_000) < CRITICAL, JSON.stringify(observed));
  });

  it("repeats the same picks for the same seed", async () => {
    assert.deepEqual(await picks("again-1", { seed: 7 }), await picks("again-2", { seed: 7 }));
  });

  it("matches the weights (chi-square, p > 0.0001) over 10,000 picks with random seeds, three times", async () => {
    for (let run = 0; run < 3; run++) {
      const observed = await picks(`random-${run}`, {});
      assert.ok(chiSquare(observed, 10_000) < CRITICAL, JSON.stringify(observed));
    }
  });

  it("never picks a subscriber whose score is 0 or below", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("zero:s"),
      queueKey: s.key("zero:q"),
    })
      .addSubscriber("live", { handler: genericSetHandler(s.key("zero:live"), 0), defaultScore: 1 })
      .addSubscriber("zero", {
        handler: genericSetHandler(s.key("zero:zero"), 0),
        defaultScore: 0,
        minScore: 0,
      })
      .addSubscriber("negative", {
        handler: genericSetHandler(s.key("zero:neg"), 0),
        defaultScore: -5,
        minScore: -10,
      });
    await pub.addPayloads(...Array.from({ length: 2000 }, (_, i) => i));
    const report = await pub.publish(2000);
    assert.deepEqual(report.bySubscriber, { live: 2000, zero: 0, negative: 0 });
  });
});
