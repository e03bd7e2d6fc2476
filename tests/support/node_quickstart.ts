/**
 * A quick start as a Node.js user writes it, run by `tests/node_quickstart_test.ts`: that test
 * bundles this file to ESM for Node with the library as a separate module (`redis-director.mjs`,
 * as the JSR npm package ships it) and `@upstash/redis` from node_modules, then runs it with
 * `node`. It prints one JSON line: the publish report and the status after it.
 *
 * Environment: `UPSTASH_REDIS_REST_URL`, `UPSTASH_REDIS_REST_TOKEN`, `PREFIX` (key prefix).
 *
 * @module
 */

import process from "node:process";
import { Redis } from "@upstash/redis";
import { genericSetHandler, Publisher } from "../../mod.ts";

const prefix = process.env.PREFIX;
if (!prefix) throw new Error("PREFIX is not set");

const pub = new Publisher({
  redis: Redis.fromEnv({ enableTelemetry: false }),
  scoreKey: `${prefix}:scores`,
  queueKey: `${prefix}:queue`,
});
pub
  .addSubscriber("set_route", { handler: genericSetHandler(`${prefix}:set_route`, -1) })
  .addSubscriber("custom_route", {
    handler: (_subscriber, payload, tx) => {
      tx.lpush(`${prefix}:custom_route`, `custom:${payload}`);
    },
    scoreChange: -1,
  });

await pub.addPayloads(...Array.from({ length: 50 }, (_, i) => i));
const report = await pub.publish(20);
const status = await pub.status();
console.log(JSON.stringify({ node: process.versions.node, report, status }));
