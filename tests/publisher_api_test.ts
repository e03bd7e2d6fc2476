import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { genericListHandler, genericSetHandler, Publisher, Subscriber } from "../mod.ts";
import { loadScripts, type Space, space } from "./support/fixtures.ts";
import { countRequests } from "./support/redis.ts";

describe("Publisher registration and reads", () => {
  let s: Space;
  before(async () => {
    s = space("api");
    await loadScripts(s.redis);
  });
  after(() => s.dispose());

  const make = (label: string) =>
    new Publisher({ redis: s.redis, scoreKey: s.key(`${label}:s`), queueKey: s.key(`${label}:q`) });

  it("chains addSubscriber, replaces a name registered again in place, and lists subscribers in order", () => {
    const pub = make("reg")
      .addSubscriber("a", { handler: genericSetHandler(s.key("reg:a")) })
      .addSubscriber("b", { handler: genericSetHandler(s.key("reg:b")) })
      .addSubscriber("a", {
        handler: genericListHandler(s.key("reg:a2")),
        maxScore: 7,
        defaultScore: 7,
      });
    assert.deepEqual(pub.subscribers.map((x) => x.name), ["a", "b"]);
    assert.equal(pub.getSubscriber("a")?.maxScore, 7);
    assert.equal(pub.getSubscriber("missing"), undefined);
  });

  it("addSubscribers takes ready Subscriber objects that share the score key", () => {
    const pub = make("ready");
    pub.addSubscribers(
      new Subscriber({
        redis: s.redis,
        scoreKey: s.key("ready:s"),
        scoreMember: "x",
        handler: genericSetHandler(s.key("ready:x")),
      }),
      new Subscriber({
        redis: s.redis,
        scoreKey: s.key("ready:s"),
        scoreMember: "y",
        handler: genericSetHandler(s.key("ready:y")),
      }),
    );
    assert.deepEqual(pub.subscribers.map((x) => x.name), ["x", "y"]);
  });

  it("scores() reads every score in one request, with defaults for missing ones; resetScores() restores them", async () => {
    const pub = make("scores")
      .addSubscriber("a", { handler: genericSetHandler(s.key("scores:a")), defaultScore: 10 })
      .addSubscriber("b", { handler: genericSetHandler(s.key("scores:b")), defaultScore: 20 });
    await pub.getSubscriber("a")!.setScore(3);
    const { value, requests } = await countRequests(() => pub.scores());
    assert.deepEqual(value, { a: 3, b: 20 });
    assert.equal(requests, 1);
    await pub.resetScores();
    assert.deepEqual(await pub.scores(), { a: 10, b: 20 });
  });

  it("subscriberMax/Min pick the highest/lowest eligible score, ties to the first registered", async () => {
    const pub = make("ext")
      .addSubscriber("zero", {
        handler: genericSetHandler(s.key("ext:z")),
        defaultScore: 0,
        minScore: 0,
      })
      .addSubscriber("a", { handler: genericSetHandler(s.key("ext:a")), defaultScore: 5 })
      .addSubscriber("b", { handler: genericSetHandler(s.key("ext:b")), defaultScore: 9 })
      .addSubscriber("c", { handler: genericSetHandler(s.key("ext:c")), defaultScore: 9 });
    assert.equal((await pub.subscriberMax())?.name, "b");
    assert.equal((await pub.subscriberMin())?.name, "a");
    await pub.getSubscriber("a")!.setScore(0);
    await pub.getSubscriber("b")!.setScore(0);
    await pub.getSubscriber("c")!.setScore(0);
    assert.equal(await pub.subscriberMax(), undefined);
    assert.equal(await pub.randomSubscriber(), undefined);
  });

  it("randomSubscriber() only returns eligible subscribers, in proportion to their scores", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("rand:s"),
      queueKey: s.key("rand:q"),
      seed: 3,
    })
      .addSubscriber("zero", {
        handler: genericSetHandler(s.key("rand:z")),
        defaultScore: 0,
        minScore: 0,
      })
      .addSubscriber("one", { handler: genericSetHandler(s.key("rand:1")), defaultScore: 1 })
      .addSubscriber("three", { handler: genericSetHandler(s.key("rand:3")), defaultScore: 3 });
    const seen: Record<string, number> = { zero: 0, one: 0, three: 0 };
    for (let i = 0; i < 200; i++) seen[(await pub.randomSubscriber())!.name]++;
    assert.equal(seen.zero, 0);
    assert.ok(seen.three > seen.one, JSON.stringify(seen));
  });

  it("status() reads the queue, in-flight count, scores and destination sizes in one request", async () => {
    const pub = make("status")
      .addSubscriber("a", { handler: genericSetHandler(s.key("status:a"), -1) })
      .addSubscriber("b", { handler: genericListHandler(s.key("status:b"), -1) })
      .addSubscriber("c", { handler: () => {} });
    await pub.addPayloads(...Array.from({ length: 30 }, (_, i) => i));
    const report = await pub.publish(12);
    const { value: status, requests } = await countRequests(() => pub.status());
    assert.equal(requests, 1);
    assert.equal(status.queueSize, 18);
    assert.equal(status.inFlight, 0);
    assert.deepEqual(status.subscribers.a, {
      score: 100 - report.bySubscriber.a,
      stored: report.bySubscriber.a > 0,
      destination: s.key("status:a"),
      destinationSize: report.bySubscriber.a,
    });
    assert.equal(status.subscribers.b.destinationSize, report.bySubscriber.b);
    assert.deepEqual(
      [status.subscribers.c.destination, status.subscribers.c.destinationSize],
      [null, null],
    );
    assert.equal(await pub.queueSize(), 18);
  });

  it("addPayloads() adds 100,000 payloads in one request and a set queue keeps equal ones once", async () => {
    const pub = make("bulk");
    const payloads = Array.from({ length: 100_000 }, (_, i) => `payload-${i}`);
    const { value, requests } = await countRequests(() => pub.addPayloads(...payloads));
    assert.deepEqual([value, requests], [100_000, 1]);
    assert.equal(await pub.addPayloads("payload-1", "payload-1", "new"), 1);
    assert.equal(await pub.queueSize(), 100_001);
  });
});
