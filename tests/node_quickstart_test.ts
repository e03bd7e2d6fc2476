/**
 * The package on Node.js as JSR users get it: ESM, the library as its own module, `@upstash/redis`
 * from npm. The test bundles `mod.ts` to `redis-director.mjs` with esbuild (platform node, format
 * esm), bundles `tests/support/node_quickstart.ts` against it, runs that with `node` and checks its
 * report against Redis.
 *
 * @module
 */

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";
import type { Redis } from "@upstash/redis";
import type { DirectorStatus, PublishReport } from "../mod.ts";
import { cleanup, newRedis, restEnv, uniquePrefix } from "./support/redis.ts";
import { findExecutable, runChild } from "./support/spawn.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NODE = findExecutable("node");

/** Resolves imports of the library's entry point to the separately built `./redis-director.mjs`. */
const libraryAsPackage: Plugin = {
  name: "library-as-package",
  setup(build) {
    build.onResolve({ filter: /(^|\/)mod\.ts$/ }, () => ({
      path: "./redis-director.mjs",
      external: true,
    }));
  },
};

describe("Node.js ESM quick start", () => {
  const prefix = uniquePrefix("node-quickstart");
  let redis: Redis;
  let dir: string;
  let libraryMeta: Metafile;
  let appMeta: Metafile;

  before(async () => {
    assert.ok(NODE, "node was not found on PATH");
    redis = newRedis();
    // Under node_modules/ so that node resolves @upstash/redis from the repository's node_modules.
    mkdirSync(join(ROOT, "node_modules", ".cache"), { recursive: true });
    dir = mkdtempSync(join(ROOT, "node_modules", ".cache", "node-quickstart-"));
    const common = {
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      logLevel: "silent",
    } as const;
    const library = await build({
      ...common,
      entryPoints: [join(ROOT, "mod.ts")],
      outfile: join(dir, "redis-director.mjs"),
      metafile: true,
    });
    libraryMeta = library.metafile;
    const app = await build({
      ...common,
      entryPoints: [join(ROOT, "tests/support/node_quickstart.ts")],
      outfile: join(dir, "quickstart.mjs"),
      external: ["@upstash/redis"],
      plugins: [libraryAsPackage],
      metafile: true,
    });
    appMeta = app.metafile;
  });

  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (redis) await cleanup(redis, prefix);
  });

  it("the library bundles to one ESM module with no imports; the app imports it and @upstash/redis", () => {
    const [library] = Object.values(libraryMeta.outputs);
    assert.deepEqual(library.imports, [], "the library imports nothing, not even @upstash/redis");
    assert.ok(library.exports.includes("Publisher") && library.exports.includes("Subscriber"));
    const inputs = Object.keys(libraryMeta.inputs);
    assert.ok(inputs.every((path) => path === "mod.ts" || path.startsWith("src/")), String(inputs));
    const [app] = Object.values(appMeta.outputs);
    assert.deepEqual(app.imports.map((i) => i.path).sort(), [
      "./redis-director.mjs",
      "@upstash/redis",
      "node:process",
    ]);
    assert.ok(app.imports.every((i) => i.external && i.kind === "import-statement"));
  });

  it("node runs the quick start: payloads move as the report says, with custom handlers", async () => {
    const { url, token } = restEnv();
    const { code, stdout, stderr } = await runChild(NODE!, [join(dir, "quickstart.mjs")], {
      UPSTASH_REDIS_REST_URL: url,
      UPSTASH_REDIS_REST_TOKEN: token,
      PREFIX: prefix,
    });
    assert.equal(code, 0, stderr);
    const { node, report, status } = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      node: string;
      report: PublishReport;
      status: DirectorStatus;
    };
    assert.match(node, /^\d+\./);
    assert.equal(report.popped, 20);
    assert.equal(report.delivered, 20);
    assert.deepEqual(report.failures, []);
    assert.ok(report.requests >= 2 && report.requests <= 3, `requests: ${report.requests}`);
    const setRoute = await redis.smembers(`${prefix}:set_route`);
    const customRoute = await redis.lrange(`${prefix}:custom_route`, 0, -1);
    assert.equal(setRoute.length, report.bySubscriber.set_route);
    assert.equal(customRoute.length, report.bySubscriber.custom_route);
    assert.ok(customRoute.every((item) => String(item).startsWith("custom:")));
    assert.equal(await redis.scard(`${prefix}:queue`), 30);
    assert.equal(status.queueSize, 30);
    assert.equal(status.inFlight, 0);
    const all = [
      ...(await redis.smembers(`${prefix}:queue`)),
      ...setRoute,
      ...customRoute.map((item) => String(item).slice("custom:".length)),
    ].map(Number).sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 50 }, (_, i) => i), "none lost or doubled");
  });
});
