import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type DirectorRedis, Subscriber } from "../mod.ts";
import { retryingClient } from "./support/clients.ts";
import { type Space, space } from "./support/fixtures.ts";

describe("Subscriber scores", () => {
  let s: Space;
  before(() => {
    s = space("subscriber");
  });
  after(() => s.dispose());

  const make = (member: string, redis: DirectorRedis = s.redis) =>
    new Subscriber({
      redis,
      scoreKey: s.key("scores"),
      scoreMember: member,
      defaultScore: 50,
      minScore: 1,
      maxScore: 100,
    });

  it("getScore() returns the default for a missing member and writes nothing", async () => {
    const sub = make("fresh");
    assert.equal(await sub.getScore(), 50);
    assert.equal(await s.redis.zscore(s.key("scores"), "fresh"), null);
  });

  it("addScore() starts from the default and clamps to [min, max] both ways", async () => {
    const sub = make("clamp");
    assert.equal(await sub.addScore(10), 60);
    assert.equal(await sub.addScore(1000), 100);
    assert.equal(await sub.addScore(-1000), 1);
    assert.equal(await sub.addScore(0.5), 1.5);
    assert.equal(await sub.getScore(), 1.5);
  });

  it("setScore() creates a missing member and ignores the bounds; resetScore() restores the default", async () => {
    const sub = make("set");
    assert.equal(await sub.setScore(500), 500);
    assert.equal(Number(await s.redis.zscore(s.key("scores"), "set")), 500);
    assert.equal(await sub.setScore(-3), -3);
    assert.equal(await sub.getScore(), -3);
    assert.equal(await sub.resetScore(), 50);
    assert.equal(await sub.getScore(), 50);
  });

  it("setScore() overwrites an existing score (the original's ZADD XX/NX faults)", async () => {
    const sub = make("overwrite");
    await sub.addScore(-10);
    await sub.setScore(77);
    assert.equal(await sub.getScore(), 77);
  });

  it("addScore() applies once when its request is sent twice (a retry after a lost response)", async () => {
    const client = retryingClient(s.redis);
    const sub = make("retried", client);
    assert.equal(await sub.addScore(5), 55);
    assert.equal(client.sent, 2);
    assert.equal(await make("retried").getScore(), 55);
  });

  it("exposes its settings and name", () => {
    const sub = make("named");
    assert.deepEqual(
      [sub.name, sub.scoreMember, sub.defaultScore, sub.minScore, sub.maxScore, sub.scoreChange],
      ["named", "named", 50, 1, 100, 0],
    );
  });
});
