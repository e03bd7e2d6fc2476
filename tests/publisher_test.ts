import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  genericListHandler,
  genericSetHandler,
  NoSubscribersError,
  Publisher,
  WrongTypeError,
} from "../mod.ts";
import { assertConserved } from "./support/conservation.ts";
import { contents, loadScripts, range, sequence, type Space, space } from "./support/fixtures.ts";
import { lecuyer, modelPublish, type ModelSubscriber, seedsOf, tally } from "./support/model.ts";
import { countRequests } from "./support/redis.ts";

describe("Publisher.publish", () => {
  let s: Space;
  before(() => {
    s = space("publish");
  });
  after(() => s.dispose());

  it("follows the reference model pick by pick, clamping included, across script chunks", async () => {
    for (const mode of ["random", "max", "min"] as const) {
      const queue = s.key(`model-${mode}:queue`);
      const draws = [0.123, 0.987, 0.5, 0.25, 0.75, 0.01, 0.33, 0.66];
      const pub = new Publisher({
        redis: s.redis,
        scoreKey: s.key(`model-${mode}:scores`),
        queueKey: queue,
        random: sequence([...draws]),
        maxPayloadsPerScript: 7, // 25 payloads = 4 script calls
      });
      const settings = [
        { name: "a", defaultScore: 10, minScore: 1, maxScore: 10, change: -1 },
        { name: "b", defaultScore: 30, minScore: 0, maxScore: 40, change: -4 },
        { name: "c", defaultScore: 5, minScore: 2, maxScore: 6, change: 2 },
      ];
      for (const { name, change, ...bounds } of settings) {
        pub.addSubscriber(name, {
          handler: genericSetHandler(s.key(`model-${mode}:${name}`), change),
          ...bounds,
        });
      }
      await pub.addPayloads(...range(25));
      const report = await (mode === "random"
        ? pub.publish(25)
        : mode === "max"
        ? pub.publishMax(25)
        : pub.publishMin(25));

      const model: ModelSubscriber[] = settings.map((x) => ({
        name: x.name,
        score: x.defaultScore,
        min: x.minScore,
        max: x.maxScore,
        change: x.change,
      }));
      const picks: string[] = [];
      for (let call = 0; call < 4; call++) {
        const uniform = lecuyer(...seedsOf(draws[2 * call], draws[2 * call + 1]));
        picks.push(...modelPublish(model, mode, Math.min(7, 25 - 7 * call), 25, uniform).picks);
      }
      const expected = { a: 0, b: 0, c: 0, ...tally(picks) };
      assert.deepEqual(report.bySubscriber, expected, `${mode}: deliveries`);
      for (const m of model) {
        assert.equal(report.scores[m.name].after, m.score, `${mode}: score of ${m.name}`);
        const stored = await s.redis.zscore(s.key(`model-${mode}:scores`), m.name);
        if (stored !== null) {
          assert.equal(Number(stored), m.score);
        }
      }
      for (const { name } of settings) {
        const received = await contents(s.raw, s.key(`model-${mode}:${name}`));
        assert.equal(received.length, expected[name as "a"], `${mode}: ${name}'s destination`);
      }
    }
  });

  it("sends each payload to the highest score with publishMax and ties to the first registered", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("max:scores"),
      queueKey: s.key("max:q"),
    })
      .addSubscriber("first", {
        handler: genericSetHandler(s.key("max:first"), -1),
        defaultScore: 5,
      })
      .addSubscriber("second", {
        handler: genericSetHandler(s.key("max:second"), -1),
        defaultScore: 5,
      })
      .addSubscriber("low", { handler: genericSetHandler(s.key("max:low"), -1), defaultScore: 2 });
    await pub.addPayloads(...range(3));
    const report = await pub.publishMax(3);
    // 5,5,2 -> first (tie) -> 4,5,2 -> second -> 4,4,2 -> first (tie)
    assert.deepEqual(report.bySubscriber, { first: 2, second: 1, low: 0 });
    assert.deepEqual(await pub.scores(), { first: 3, second: 4, low: 2 });
  });

  it("sends each payload to the lowest eligible score with publishMin, skipping scores at 0", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("min:scores"),
      queueKey: s.key("min:q"),
    })
      .addSubscriber("zero", {
        handler: genericSetHandler(s.key("min:zero"), 0),
        defaultScore: 0,
        minScore: 0,
      })
      .addSubscriber("mid", { handler: genericSetHandler(s.key("min:mid"), 1), defaultScore: 3 })
      .addSubscriber("high", { handler: genericSetHandler(s.key("min:high"), 1), defaultScore: 4 });
    await pub.addPayloads(...range(3));
    const report = await pub.publishMin(3);
    // 0 is not eligible; 3 -> mid (4), tie 4/4 -> mid (registered first) -> 5, then high (4)
    assert.deepEqual(report.bySubscriber, { zero: 0, mid: 2, high: 1 });
  });

  it("pops a list queue first in, first out and delivers to a list with LPUSH", async () => {
    const dest = s.key("fifo:dest");
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("fifo:scores"),
      queueKey: s.key("fifo:q"),
      queue: "list",
    }).addSubscriber("only", { handler: genericListHandler(dest, 0) });
    await pub.addPayloads("one", "two", "three", "four");
    const report = await pub.publish(3);
    assert.equal(report.popped, 3);
    assert.deepEqual(await s.raw.lrange(dest, 0, -1), ["three", "two", "one"]);
    assert.deepEqual(await s.raw.lrange(s.key("fifo:q"), 0, -1), ["four"]);
  });

  it("pops nothing and says so when no subscriber is eligible", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("none:scores"),
      queueKey: s.key("none:q"),
    })
      .addSubscriber("a", {
        handler: genericSetHandler(s.key("none:a")),
        defaultScore: 0,
        minScore: 0,
      })
      .addSubscriber("b", {
        handler: genericSetHandler(s.key("none:b")),
        defaultScore: 0,
        minScore: -5,
      });
    await pub.addPayloads(...range(10));
    const report = await pub.publish(5);
    assert.equal(report.popped, 0);
    assert.equal(report.stoppedBy, "no-eligible-subscriber");
    assert.equal(await pub.queueSize(), 10);
  });

  it("stops when scores run out mid-batch and leaves the rest in the queue", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("dry:scores"),
      queueKey: s.key("dry:q"),
    })
      .addSubscriber("a", {
        handler: genericSetHandler(s.key("dry:a"), -1),
        defaultScore: 3,
        minScore: 0,
      });
    await pub.addPayloads(...range(10));
    const report = await pub.publish(10);
    assert.equal(report.popped, 3);
    assert.equal(report.stoppedBy, "no-eligible-subscriber");
    assert.equal(await pub.queueSize(), 7);
    assert.deepEqual(report.scores.a, { before: 3, after: 0 });
  });

  it("reports an empty queue when fewer payloads wait than asked", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("empty:scores"),
      queueKey: s.key("empty:q"),
    })
      .addSubscriber("a", { handler: genericSetHandler(s.key("empty:a")) });
    assert.equal((await pub.publish(5)).stoppedBy, "empty-queue");
    await pub.addPayloads("x", "y");
    const report = await pub.publish(5);
    assert.deepEqual([report.popped, report.stoppedBy], [2, "empty-queue"]);
  });

  it("throws NoSubscribersError before any request when none is registered", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("nosub:s"),
      queueKey: s.key("nosub:q"),
    });
    const { requests } = await countRequests(async () => {
      await assert.rejects(() => pub.publish(1), NoSubscribersError);
      await assert.rejects(() => pub.publishMax(1), NoSubscribersError);
    });
    assert.equal(requests, 0);
  });

  it("refuses a destination of the wrong Redis type with WrongTypeError and pops nothing", async () => {
    const dest = s.key("wrong:dest");
    await s.redis.set(dest, "a string");
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("wrong:s"),
      queueKey: s.key("wrong:q"),
    })
      .addSubscriber("a", { handler: genericSetHandler(dest) });
    await pub.addPayloads(...range(5));
    const error = await pub.publish(5).catch((e) => e);
    assert.ok(error instanceof WrongTypeError);
    assert.equal(error.name, "WrongTypeError");
    assert.deepEqual([error.key, error.actual, error.expected], [dest, "string", "set"]);
    assert.equal(await pub.queueSize(), 5);
  });

  it("keeps every payload in exactly one place with 10 concurrent publishers", async () => {
    const queue = s.key("conc:q");
    const destinations = ["a", "b", "c"].map((n) => s.key(`conc:${n}`));
    const make = () => {
      const pub = new Publisher({ redis: s.redis, scoreKey: s.key("conc:s"), queueKey: queue });
      destinations.forEach((d, i) =>
        pub.addSubscriber(`s${i}`, {
          handler: genericSetHandler(d, -1),
          defaultScore: 1e6,
          maxScore: 1e6,
        })
      );
      return pub;
    };
    const payloads = range(2000, "c");
    await make().addPayloads(...payloads);
    const reports = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const pub = make();
        const done = [];
        for (let i = 0; i < 10; i++) done.push(await pub.publish(15));
        return done;
      }),
    );
    const popped = reports.flat().reduce((sum, r) => sum + r.popped, 0);
    assert.equal(popped, 1500);
    await assertConserved(s.raw, { queue, destinations }, payloads);
    assert.equal(await make().queueSize(), 500);
  });
});

describe("Publisher request counts", () => {
  let s: Space;
  before(async () => {
    s = space("requests");
    await loadScripts(s.redis);
  });
  after(() => s.dispose());

  for (const subscribers of [2, 50]) {
    for (const n of [1, 100, 10_000]) {
      it(`publish(${n}) with ${subscribers} generic subscribers is one HTTP request`, async () => {
        const pub = new Publisher({
          redis: s.redis,
          scoreKey: s.key(`rc${subscribers}-${n}:s`),
          queueKey: s.key(`rc${subscribers}-${n}:q`),
        });
        for (let i = 0; i < subscribers; i++) {
          pub.addSubscriber(`s${i}`, {
            handler: genericSetHandler(s.key(`rc${subscribers}-${n}:d${i % 5}`), -1),
            defaultScore: 1e6,
            maxScore: 1e6,
          });
        }
        const added = await countRequests(() => pub.addPayloads(...range(n)));
        assert.deepEqual([added.value, added.requests], [n, 1]);
        for (const mode of ["publish", "publishMax", "publishMin"] as const) {
          await pub.addPayloads(...range(n, mode));
          const { value: report, requests } = await countRequests(() => pub[mode](n));
          assert.equal(report.popped, n);
          assert.equal(requests, 1, `${mode}(${n}) took ${requests} requests`);
          assert.equal(report.requests, 1);
        }
      });
    }
  }

  it("recovers from a flushed script cache with one extra request, once", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("flush:s"),
      queueKey: s.key("flush:q"),
    })
      .addSubscriber("a", { handler: genericSetHandler(s.key("flush:a")) });
    await pub.addPayloads(...range(4));
    await s.redis.scriptFlush();
    const first = await countRequests(() => pub.publish(2));
    assert.deepEqual([first.requests, first.value.requests, first.value.popped], [2, 2, 2]);
    const second = await countRequests(() => pub.publish(2));
    assert.deepEqual([second.requests, second.value.requests, second.value.popped], [1, 1, 2]);
  });
});
