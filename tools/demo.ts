/**
 * `deno task demo`: runs `examples/quickstart.ts` and prints what went where.
 * With `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN` set it uses
 * that database; otherwise it starts a throw-away redis-server and the local
 * Upstash-compatible endpoint, and stops both afterwards.
 *
 * @module
 */

import { Redis } from "@upstash/redis";
import { printReport, quickstart } from "../examples/quickstart.ts";
import { startRedisServer } from "./redis_server.ts";
import { startUpstashLocal } from "./upstash_local.ts";

async function main(): Promise<void> {
  const url = Deno.env.get("UPSTASH_REDIS_REST_URL");
  const token = Deno.env.get("UPSTASH_REDIS_REST_TOKEN");
  if (url && token) {
    console.log(`Running the quickstart against ${url}`);
    printReport(await quickstart(Redis.fromEnv()));
    return;
  }
  const server = await startRedisServer();
  try {
    const endpoint = await startUpstashLocal({ redisUrl: server.url, quiet: true });
    try {
      console.log(
        `Running the quickstart against a throw-away redis-server (${server.url}) ` +
          `through the local Upstash endpoint (${endpoint.url})`,
      );
      const redis = new Redis({ url: endpoint.url, token: endpoint.token, enableTelemetry: false });
      printReport(await quickstart(redis));
      const stats = endpoint.stats();
      console.log(
        `The endpoint served ${stats.requests} HTTP requests in all (${stats.commands} Redis ` +
          "commands); a fresh Redis costs one more, once, to load the library's scripts.",
      );
    } finally {
      await endpoint.close();
    }
  } finally {
    await server.stop();
  }
}

await main();
