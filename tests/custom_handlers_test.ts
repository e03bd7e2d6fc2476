import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  genericSetHandler,
  type HandlerBatch,
  Publisher,
  PublishError,
  type Subscriber,
} from "../mod.ts";
import { dyingClient, refusingClient, retryingClient } from "./support/clients.ts";
import { assertConserved } from "./support/conservation.ts";
import { contents, loadScripts, range, type Space, space } from "./support/fixtures.ts";
import { countRequests } from "./support/redis.ts";

describe("custom handlers", () => {
  let s: Space;
  before(async () => {
    s = space("custom");
    await loadScripts(s.redis);
  });
  after(() => s.dispose());

  it("get (subscriber, payload, tx) and their writes land in one more request, two in all", async () => {
    const seen: [string, string][] = [];
    const inbox = s.key("two:inbox");
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("two:s"),
      queueKey: s.key("two:q"),
    })
      .addSubscriber("route_1", { handler: genericSetHandler(s.key("two:route_1"), -1) })
      .addSubscriber("route_2", {
        handler: (subscriber: Subscriber, payload: string, tx: HandlerBatch) => {
          seen.push([subscriber.name, payload]);
          tx.lpush(inbox, payload)
            .incrby(s.key("two:count"), 1)
            .hset(s.key("two:last"), { payload })
            .zincrby(s.key("two:z"), 1, payload)
            .rpush(s.key("two:log"), payload)
            .set(s.key("two:string"), payload, { ex: 60 })
            .xadd(s.key("two:stream"), "*", { payload })
            .publish(s.key("two:channel"), payload)
            .sadd(s.key("two:set"), payload)
            .zadd(s.key("two:zz"), { score: 1, member: payload });
        },
        scoreChange: -2,
        minScore: 0,
        maxScore: 1000,
      });
    await pub.addPayloads(...range(100));
    const { value: report, requests } = await countRequests(() => pub.publish(100));
    assert.equal(requests, 2);
    assert.equal(report.requests, 2);
    assert.equal(report.delivered, 100);
    const custom = report.bySubscriber.route_2;
    assert.equal(seen.length, custom);
    assert.ok(seen.every(([name]) => name === "route_2"));
    assert.equal(await s.raw.llen(inbox), custom);
    assert.equal(Number(await s.raw.get(s.key("two:count"))), custom);
    assert.equal(await s.raw.xlen(s.key("two:stream")), custom);
    assert.equal(report.scores.route_2.after, 100 - 2 * custom);
    await assertConserved(
      s.raw,
      { queue: s.key("two:q"), destinations: [s.key("two:route_1"), inbox] },
      range(100),
    );
  });

  it("applies a declared scoreChange before the next pick of the same publish", async () => {
    const pub = new Publisher({
      redis: s.redis,
      scoreKey: s.key("change:s"),
      queueKey: s.key("change:q"),
    })
      .addSubscriber("a", {
        handler: (_s, p, tx) => void tx.sadd(s.key("change:a"), p),
        scoreChange: -1,
        defaultScore: 3,
        minScore: 0,
      });
    await pub.addPayloads(...range(10));
    const report = await pub.publish(10);
    assert.deepEqual([report.popped, report.stoppedBy], [3, "no-eligible-subscriber"]);
    assert.equal(await pub.queueSize(), 7);
  });

  it("put a throwing handler's payload back in the queue and drop its writes", async () => {
    const queue = s.key("throw:q"), inbox = s.key("throw:inbox");
    const pub = new Publisher({ redis: s.redis, scoreKey: s.key("throw:s"), queueKey: queue })
      .addSubscriber("a", {
        handler: (_s, payload, tx) => {
          tx.sadd(inbox, payload);
          if (payload.endsWith("3")) throw new Error(`cannot take ${payload}`);
        },
      });
    await pub.addPayloads(...range(20));
    const report = await pub.publish(20);
    assert.deepEqual([report.popped, report.delivered, report.returned], [20, 18, 2]);
    assert.deepEqual(report.bySubscriber, { a: 18 });
    assert.deepEqual(report.failures.map((f) => [f.payload, f.returned]).sort(), [
      ["p13", true],
      ["p3", true],
    ]);
    assert.match(report.failures[0].error, /Error: cannot take p1?3/);
    assert.deepEqual(await contents(s.raw, queue), ["p13", "p3"]);
    assert.equal(await s.raw.scard(inbox), 18);
    assert.equal((await pub.status()).inFlight, 0);
  });

  it("return a payload whose writes hit a key of the wrong type, applying none of them", async () => {
    const queue = s.key("wt:q"), wrong = s.key("wt:wrong"), ok = s.key("wt:ok");
    await s.redis.set(wrong, "a string");
    const pub = new Publisher({ redis: s.redis, scoreKey: s.key("wt:s"), queueKey: queue })
      .addSubscriber("a", {
        handler: (_s, payload, tx) => {
          tx.sadd(ok, payload);
          if (payload === "bad") tx.lpush(wrong, payload);
        },
      });
    await pub.addPayloads("good", "bad");
    const report = await pub.publish(2);
    assert.deepEqual([report.delivered, report.returned], [1, 1]);
    assert.equal(report.failures[0].payload, "bad");
    assert.match(report.failures[0].error, /WRONGTYPE/);
    assert.deepEqual(await contents(s.raw, ok), ["good"]);
    assert.deepEqual(await contents(s.raw, queue), ["bad"]);
  });

  it("recover() puts back the payloads of a publisher that died between its two requests", async () => {
    const queue = s.key("dead:q"), inbox = s.key("dead:inbox");
    const handler = (_s: Subscriber, p: string, tx: HandlerBatch) => void tx.sadd(inbox, p);
    const dying = new Publisher({
      redis: dyingClient(s.redis, 1),
      scoreKey: s.key("dead:s"),
      queueKey: queue,
    })
      .addSubscriber("a", { handler });
    const pub = new Publisher({ redis: s.redis, scoreKey: s.key("dead:s"), queueKey: queue })
      .addSubscriber("a", { handler });
    await pub.addPayloads(...range(30));
    const error = await dying.publish(10).catch((e) => e);
    assert.ok(error instanceof PublishError, String(error));
    assert.match(error.message, /process died.*10 payloads are in flight: run recover\(\)/);
    assert.deepEqual(
      [
        error.report.popped,
        error.report.delivered,
        error.report.inFlight,
        error.report.bySubscriber.a,
      ],
      [10, 0, 10, 0],
    );
    assert.deepEqual([(await pub.status()).inFlight, await pub.queueSize()], [10, 20]);
    await assertConserved(s.raw, { queue, destinations: [inbox] }, range(30));

    const tooYoung = await pub.recover(60_000);
    assert.deepEqual([tooYoung.calls, tooYoung.payloads], [0, 0]);
    const [first, second] = await Promise.all([pub.recover(0), pub.recover(0)]);
    assert.equal(first.payloads + second.payloads, 10);
    assert.deepEqual(await pub.recover(0), { calls: 0, payloads: 0, requests: 1 });
    assert.deepEqual([(await pub.status()).inFlight, await pub.queueSize()], [0, 30]);
    assert.equal(await s.raw.scard(inbox), 0);
    await assertConserved(s.raw, { queue, destinations: [inbox] }, range(30));
  });

  it("report generic deliveries and keep custom payloads in flight when Redis refuses the release", async () => {
    const queue = s.key("refused:q"), inbox = s.key("refused:inbox"), generic = s.key("refused:g");
    const pub = new Publisher({
      redis: refusingClient(s.redis, 1),
      scoreKey: s.key("refused:s"),
      queueKey: queue,
    })
      .addSubscriber("custom", { handler: (_s, p, tx) => void tx.sadd(inbox, p) })
      .addSubscriber("generic", { handler: genericSetHandler(generic, -1) });
    await s.redis.sadd(queue, ...range(40) as [string, ...string[]]);
    const error = await pub.publish(40).catch((e) => e);
    assert.ok(error instanceof PublishError, String(error));
    const { report } = error;
    assert.match(error.message, /refused by the test/);
    assert.equal(report.popped, 40);
    assert.equal(report.inFlight, await s.raw.hlen(`${queue}:inflight`) - 1);
    assert.equal(report.bySubscriber.generic, await s.raw.scard(generic));
    assert.deepEqual(
      [report.bySubscriber.custom, report.delivered + report.inFlight],
      [0, 40],
    );
    await assertConserved(s.raw, { queue, destinations: [inbox, generic] }, range(40));
    const recovered = await new Publisher({
      redis: s.redis,
      scoreKey: s.key("refused:s"),
      queueKey: queue,
    })
      .recover(0);
    assert.equal(recovered.payloads, report.inFlight);
    assert.equal(await s.raw.scard(inbox), 0);
    await assertConserved(s.raw, { queue, destinations: [inbox, generic] }, range(40));
  });

  it("apply no writes when recover() took the payloads back before the release", async () => {
    const queue = s.key("race:q"), inbox = s.key("race:inbox");
    const pub: Publisher = new Publisher({
      redis: s.redis,
      scoreKey: s.key("race:s"),
      queueKey: queue,
    })
      .addSubscriber("a", {
        handler: async (_s, p, tx) => {
          tx.sadd(inbox, p);
          await pub.recover(0); // another process recovers while this one is slow
        },
      });
    await pub.addPayloads(...range(5));
    const report = await pub.publish(5);
    assert.deepEqual([report.popped, report.delivered, report.returned], [5, 0, 5]);
    assert.equal(await s.raw.scard(inbox), 0);
    await assertConserved(s.raw, { queue, destinations: [inbox] }, range(5));
  });

  it("apply the writes once when the release request is sent twice", async () => {
    const queue = s.key("retry:q"), inbox = s.key("retry:inbox"), counter = s.key("retry:n");
    const client = retryingClient(s.redis);
    const pub = new Publisher({
      redis: client,
      scoreKey: s.key("retry:s"),
      queueKey: queue,
      queue: "list",
    })
      .addSubscriber("a", { handler: (_s, p, tx) => void tx.rpush(inbox, p).incr(counter) })
      .addSubscriber("b", { handler: genericSetHandler(s.key("retry:b"), -1) });
    await pub.addPayloads(...range(40));
    const report = await pub.publish(40);
    assert.equal(client.sent, 2 * 3); // addPayloads, publish, release: each sent twice
    assert.equal(report.popped, 40);
    assert.equal(await s.raw.llen(inbox), report.bySubscriber.a);
    assert.equal(Number(await s.raw.get(counter)), report.bySubscriber.a);
    assert.equal(await s.raw.scard(s.key("retry:b")), report.bySubscriber.b);
    await assertConserved(
      s.raw,
      { queue, destinations: [inbox, s.key("retry:b")] },
      range(40),
    );
  });
});

describe("publish id", () => {
  let s: Space;
  before(() => {
    s = space("publish-id");
  });
  after(() => s.dispose());

  it("makes a retried request return the first result instead of publishing again", async () => {
    const client = retryingClient(s.redis);
    const queue = s.key("q"), dests = [s.key("a"), s.key("b")];
    const pub = new Publisher({ redis: client, scoreKey: s.key("s"), queueKey: queue })
      .addSubscriber("a", { handler: genericSetHandler(dests[0], -1) })
      .addSubscriber("b", { handler: genericSetHandler(dests[1], -1) });
    await pub.addPayloads(...range(50));
    const report = await pub.publish(20);
    assert.equal(report.popped, 20);
    assert.equal(await pub.queueSize(), 30);
    const scores = await pub.scores();
    assert.equal(scores.a, 100 - report.bySubscriber.a);
    assert.equal(scores.b, 100 - report.bySubscriber.b);
    await assertConserved(s.raw, { queue, destinations: dests }, range(50));
  });
});
