import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { genericListHandler, genericSetHandler, Publisher } from "../mod.ts";
import { contents, type Space, space } from "./support/fixtures.ts";
import { newRedis } from "./support/redis.ts";

/** Payloads a careless client would change: numbers, JSON, base64 look-alikes, Lua, Redis syntax. */
const TRICKY = [
  "123",
  "1.50",
  "1e3",
  "-0",
  "true",
  "null",
  '{"a":1,"b":[1,2]}',
  '"quoted"',
  "[1,2,3]",
  "PONG",
  "T0s=",
  "OK",
  "~tilde",
  "",
  "  spaced  ",
  "line\nbreak\ttab",
  "ünïcödé ✓ 日本語 🚀 e\u0301",
  'return redis.call("FLUSHALL")',
  "]] .. redis.call('DEL', KEYS[1]) .. [[",
  "*1\r\n$8\r\nFLUSHALL\r\n",
  "KEYS[1]",
  "#1",
];

describe("payloads", () => {
  let s: Space;
  before(() => {
    s = space("payloads");
  });
  after(() => s.dispose());

  for (const queue of ["set", "list"] as const) {
    it(`stay strings byte for byte through a ${queue} queue, generic and custom handlers`, async () => {
      const received: string[] = [];
      const dest = s.key(`${queue}:dest`);
      const pub = new Publisher({
        redis: s.redis,
        scoreKey: s.key(`${queue}:s`),
        queueKey: s.key(`${queue}:q`),
        queue,
      })
        .addSubscriber("generic", {
          handler: queue === "set" ? genericSetHandler(dest, 0) : genericListHandler(dest, 0),
        })
        .addSubscriber("custom", {
          handler: (_s, payload, tx) => {
            received.push(payload);
            tx.rpush(s.key(`${queue}:custom`), payload);
          },
        });
      assert.equal(await pub.addPayloads(...TRICKY), TRICKY.length);
      const report = await pub.publish(TRICKY.length);
      assert.equal(report.delivered, TRICKY.length);
      assert.ok(received.every((p) => typeof p === "string"));
      const all = [
        ...(await contents(s.raw, dest)),
        ...(await contents(s.raw, s.key(`${queue}:custom`))),
      ].sort();
      assert.deepEqual(all, [...TRICKY].sort());
      assert.deepEqual([...received].sort(), await contents(s.raw, s.key(`${queue}:custom`)));
    });
  }

  it("arrive unchanged with automatic deserialization off, and numbers become their String()", async () => {
    const raw = newRedis({ automaticDeserialization: false });
    const received: string[] = [];
    const pub = new Publisher({
      redis: raw,
      scoreKey: s.key("raw:s"),
      queueKey: s.key("raw:q"),
      queue: "list",
    })
      .addSubscriber("custom", { handler: (_s, p) => void received.push(p) });
    await pub.addPayloads(1, 2.5, -3, 1e21, "007");
    await pub.publish(5);
    assert.deepEqual(received, ["1", "2.5", "-3", "1e+21", "007"]);
  });
});
