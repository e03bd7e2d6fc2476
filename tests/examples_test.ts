import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { quickstart, quickstartPublisher } from "../examples/quickstart.ts";
import { drainOnce, route1 } from "../examples/subscriber.ts";
import { assertConserved } from "./support/conservation.ts";
import { loadScripts, range, type Space, space } from "./support/fixtures.ts";

// The examples use the original README's fixed key names; this test owns them while it runs.
const KEYS = [
  "my_stuff:my_fancy_score",
  "my_stuff:my_amazing_queue",
  "my_stuff:my_amazing_queue:inflight",
  "my_stuff:my_amazing_queue:inflight-index",
  "route_1:queue",
  "super:secret:route:hehe",
];
const PLACES = {
  queue: "my_stuff:my_amazing_queue",
  destinations: ["route_1:queue", "super:secret:route:hehe"],
};

describe("examples", () => {
  let s: Space;
  before(async () => {
    s = space("examples");
    await loadScripts(s.redis);
    await s.redis.del(...KEYS);
  });
  after(async () => {
    await s.redis.del(...KEYS);
    await s.dispose();
  });

  it("quickstart publishes 100 of 1,000 payloads in two requests, nothing lost", async () => {
    const report = await quickstart(s.redis);
    assert.deepEqual([report.popped, report.delivered, report.requests], [100, 100, 2]);
    assert.equal(report.bySubscriber.route_1 + report.bySubscriber.route_2, 100);
    assert.equal(await s.raw.scard("route_1:queue"), report.bySubscriber.route_1);
    assert.equal(await s.raw.llen("super:secret:route:hehe"), report.bySubscriber.route_2);
    assert.equal(report.scores.route_1.after, 100 - report.bySubscriber.route_1);
    assert.equal(report.scores.route_2.after, Math.max(0, 100 - 2 * report.bySubscriber.route_2));
    await assertConserved(s.raw, PLACES, range(1000, ""));
  });

  it("the subscriber side drains its key and raises its score by what it handled", async () => {
    const sub = route1(s.redis);
    const before = await sub.getScore();
    const waiting = await s.raw.scard("route_1:queue");
    const handled: string[] = [];
    const result = await drainOnce(s.redis, sub, "route_1:queue", 20, (p) => void handled.push(p));
    assert.equal(result.handled.length, Math.min(20, waiting));
    assert.deepEqual(handled, result.handled);
    assert.equal(result.score, Math.min(100, before + result.handled.length));
    assert.equal(await s.raw.scard("route_1:queue"), waiting - result.handled.length);
    assert.equal((await quickstartPublisher(s.redis).scores()).route_1, result.score);
  });
});
