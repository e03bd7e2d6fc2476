import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  genericListHandler,
  genericSetHandler,
  HandlerBatch,
  InvalidArgumentError,
  LIMITS,
  NoSubscribersError,
  Publisher,
  Subscriber,
} from "../mod.ts";
import { type Space, space } from "./support/fixtures.ts";
import { countRequests } from "./support/redis.ts";

/** One bad input: what is done, the error class, and the argument the error names. */
interface Case {
  name: string;
  run: (s: Space) => unknown;
  error: new (...args: never[]) => Error;
  argument?: string;
}

// deno-lint-ignore no-explicit-any
const any = (value: unknown): any => value;

const publisher = (s: Space, extra: object = {}) =>
  new Publisher({ redis: s.redis, scoreKey: s.key("s"), queueKey: s.key("q"), ...extra });
const withSubscriber = (s: Space) =>
  publisher(s).addSubscriber("a", { handler: genericSetHandler(s.key("a")) });
const subscriber = (s: Space, extra: object) =>
  new Subscriber({ redis: s.redis, scoreKey: s.key("s"), scoreMember: "m", ...extra });

const CASES: Case[] = [
  // Publisher options
  {
    name: "empty queue key",
    run: (s) => publisher(s, { queueKey: "" }),
    error: InvalidArgumentError,
    argument: "queueKey",
  },
  {
    name: "non-string score key",
    run: (s) => publisher(s, { scoreKey: 42 }),
    error: InvalidArgumentError,
    argument: "scoreKey",
  },
  {
    name: "queue key equal to score key",
    run: (s) => publisher(s, { queueKey: s.key("s") }),
    error: InvalidArgumentError,
    argument: "queueKey",
  },
  {
    name: "key above the size limit",
    run: (s) => publisher(s, { queueKey: "k".repeat(LIMITS.maxKeyBytes + 1) }),
    error: InvalidArgumentError,
    argument: "queueKey",
  },
  {
    name: "unknown queue type",
    run: (s) => publisher(s, { queue: "stream" }),
    error: InvalidArgumentError,
    argument: "queue",
  },
  {
    name: "missing redis client",
    run: (s) => publisher(s, { redis: undefined }),
    error: InvalidArgumentError,
    argument: "redis",
  },
  {
    name: "both seed and random",
    run: (s) => publisher(s, { seed: 1, random: Math.random }),
    error: InvalidArgumentError,
    argument: "seed",
  },
  {
    name: "fractional seed",
    run: (s) => publisher(s, { seed: 1.5 }),
    error: InvalidArgumentError,
    argument: "seed",
  },
  {
    name: "random that is not a function",
    run: (s) => publisher(s, { random: 0.5 }),
    error: InvalidArgumentError,
    argument: "random",
  },
  {
    name: "maxPayloadsPerScript 0",
    run: (s) => publisher(s, { maxPayloadsPerScript: 0 }),
    error: InvalidArgumentError,
    argument: "maxPayloadsPerScript",
  },
  // Subscribers
  {
    name: "empty subscriber name",
    run: (s) => publisher(s).addSubscriber("", { handler: genericSetHandler(s.key("a")) }),
    error: InvalidArgumentError,
    argument: "scoreMember",
  },
  {
    name: "handler not a function",
    run: (s) => publisher(s).addSubscriber("a", { handler: any("route_1:queue") }),
    error: InvalidArgumentError,
    argument: "handler",
  },
  {
    name: "missing handler",
    run: (s) => publisher(s).addSubscriber("a", any({})),
    error: InvalidArgumentError,
    argument: "handler",
  },
  {
    name: "destination equal to the queue key",
    run: (s) => publisher(s).addSubscriber("a", { handler: genericSetHandler(s.key("q")) }),
    error: InvalidArgumentError,
    argument: "handler key",
  },
  {
    name: "destination equal to the score key",
    run: (s) => publisher(s).addSubscriber("a", { handler: genericListHandler(s.key("s")) }),
    error: InvalidArgumentError,
    argument: "handler key",
  },
  {
    name: "empty generic handler key",
    run: () => genericSetHandler(""),
    error: InvalidArgumentError,
    argument: "handler key",
  },
  {
    name: "NaN addScore",
    run: () => genericListHandler("k", NaN),
    error: InvalidArgumentError,
    argument: "addScore",
  },
  {
    name: "NaN default score",
    run: (s) => subscriber(s, { defaultScore: NaN }),
    error: InvalidArgumentError,
    argument: "defaultScore",
  },
  {
    name: "Infinity max score",
    run: (s) => subscriber(s, { maxScore: Infinity }),
    error: InvalidArgumentError,
    argument: "maxScore",
  },
  {
    name: "non-number min score",
    run: (s) => subscriber(s, { minScore: "1" }),
    error: InvalidArgumentError,
    argument: "minScore",
  },
  {
    name: "min above max",
    run: (s) => subscriber(s, { minScore: 10, maxScore: 5, defaultScore: 7 }),
    error: InvalidArgumentError,
    argument: "minScore",
  },
  {
    name: "default outside [min, max]",
    run: (s) => subscriber(s, { defaultScore: 101 }),
    error: InvalidArgumentError,
    argument: "defaultScore",
  },
  {
    name: "NaN score change",
    run: (s) => subscriber(s, { scoreChange: NaN }),
    error: InvalidArgumentError,
    argument: "scoreChange",
  },
  {
    name: "subscriber with another score key",
    run: (s) =>
      publisher(s).addSubscribers(
        new Subscriber({
          redis: s.redis,
          scoreKey: s.key("other"),
          scoreMember: "x",
          handler: () => {},
        }),
      ),
    error: InvalidArgumentError,
    argument: "subscribers",
  },
  {
    name: "addSubscribers with a plain object",
    run: (s) => publisher(s).addSubscribers(any({ name: "x" })),
    error: InvalidArgumentError,
    argument: "subscribers",
  },
  {
    name: "one key used as a set and as a list",
    run: (s) =>
      publisher(s).addSubscriber("a", { handler: genericSetHandler(s.key("d")) }).addSubscriber(
        "b",
        { handler: genericListHandler(s.key("d")) },
      ).publish(1),
    error: InvalidArgumentError,
    argument: "handler key",
  },
  // Batch sizes
  {
    name: "batch size 0",
    run: (s) => withSubscriber(s).publish(0),
    error: InvalidArgumentError,
    argument: "count",
  },
  {
    name: "negative batch size",
    run: (s) => withSubscriber(s).publishMax(-1),
    error: InvalidArgumentError,
    argument: "count",
  },
  {
    name: "fractional batch size",
    run: (s) => withSubscriber(s).publishMin(1.5),
    error: InvalidArgumentError,
    argument: "count",
  },
  {
    name: "NaN batch size",
    run: (s) => withSubscriber(s).publish(NaN),
    error: InvalidArgumentError,
    argument: "count",
  },
  {
    name: "batch size above the cap",
    run: (s) => withSubscriber(s).publish(LIMITS.maxBatchSize + 1),
    error: InvalidArgumentError,
    argument: "count",
  },
  {
    name: "publish with no subscriber",
    run: (s) => publisher(s).publish(1),
    error: NoSubscribersError,
  },
  // Payloads
  {
    name: "object payload",
    run: (s) => publisher(s).addPayloads("ok", any({ id: 1 })),
    error: InvalidArgumentError,
    argument: "payloads[1]",
  },
  {
    name: "undefined payload",
    run: (s) => publisher(s).addPayloads(any(undefined)),
    error: InvalidArgumentError,
    argument: "payloads[0]",
  },
  {
    name: "NaN payload",
    run: (s) => publisher(s).addPayloads(NaN),
    error: InvalidArgumentError,
    argument: "payloads[0]",
  },
  {
    name: "payload over the size limit",
    run: (s) => publisher(s).addPayloads("x".repeat(LIMITS.maxPayloadBytes + 1)),
    error: InvalidArgumentError,
    argument: "payloads[0]",
  },
  {
    name: "more payloads than the cap",
    run: (s) =>
      publisher(s).addPayloads(...Array.from({ length: LIMITS.maxBatchSize + 1 }, () => "p")),
    error: InvalidArgumentError,
    argument: "payloads.length",
  },
  // Scores and recovery
  {
    name: "NaN addScore delta",
    run: (s) => subscriber(s, {}).addScore(NaN),
    error: InvalidArgumentError,
    argument: "delta",
  },
  {
    name: "Infinity setScore",
    run: (s) => subscriber(s, {}).setScore(Infinity),
    error: InvalidArgumentError,
    argument: "value",
  },
  {
    name: "negative recover age",
    run: (s) => publisher(s).recover(-1),
    error: InvalidArgumentError,
    argument: "olderThanMs",
  },
  // Handler batch
  {
    name: "tx value that is an object",
    run: () => new HandlerBatch().sadd("k", any({})),
    error: InvalidArgumentError,
    argument: "batch value",
  },
  {
    name: "tx incrby by a fraction",
    run: () => new HandlerBatch().incrby("k", 0.5),
    error: InvalidArgumentError,
    argument: "incrby increment",
  },
  {
    name: "tx write to an empty key",
    run: () => new HandlerBatch().lpush("", "v"),
    error: InvalidArgumentError,
    argument: "lpush key",
  },
];

describe("bad input", () => {
  let s: Space;
  before(() => {
    s = space("bad-input");
  });
  after(() => s.dispose());

  it(`has at least 30 cases (${CASES.length})`, () => {
    assert.ok(CASES.length >= 30);
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.error.name} before any request, with a message that says what to do`, async () => {
      const { value: error, requests } = await countRequests(async () => {
        try {
          await c.run(s);
        } catch (error) {
          return error;
        }
        return undefined;
      });
      assert.ok(error instanceof c.error, `expected ${c.error.name}, got ${error}`);
      assert.equal((error as Error).name, c.error.name);
      if (c.argument !== undefined) {
        assert.equal((error as InvalidArgumentError).argument, c.argument);
      }
      assert.ok((error as Error).message.length > 20, (error as Error).message);
      assert.equal(requests, 0);
    });
  }

  it("leaves Redis untouched after all of them", async () => {
    assert.deepEqual(await s.redis.keys(`${s.key("")}*`), []);
  });
});
