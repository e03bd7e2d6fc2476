/**
 * The test harness behind `deno task test` and `deno task test:bun`.
 *
 * With `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN` both set, the suite runs against
 * that endpoint as it is. Otherwise the harness starts a throw-away redis-server and the local
 * Upstash-compatible endpoint in this process, exports the two variables to the suite, and
 * stops both when the suite ends, fails or is interrupted. It exits with the suite's code.
 *
 * Usage: `deno run -A tools/run_tests.ts [--runtime deno|bun] [-- extra args]`. Extra arguments
 * go to `deno test -A` / `bun test`; if one of them is a path, it replaces the default `tests/`.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { startRedisServer } from "./redis_server.ts";
import { startUpstashLocal } from "./upstash_local.ts";

type TestRuntime = "deno" | "bun";

/** Parses `[--runtime deno|bun] [--] [extra...]`; every other argument is passed through. */
function parseHarnessArgs(args: string[]): { runtime: TestRuntime; extra: string[] } {
  let runtime = "deno";
  const extra: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      extra.push(...args.slice(i + 1));
      break;
    }
    if (arg === "--runtime") runtime = args[++i] ?? "";
    else if (arg.startsWith("--runtime=")) runtime = arg.slice("--runtime=".length);
    else extra.push(arg);
  }
  if (runtime !== "deno" && runtime !== "bun") {
    throw new Error(`--runtime must be "deno" or "bun", got ${JSON.stringify(runtime)}`);
  }
  return { runtime, extra };
}

/** Builds the command line of the suite for `runtime`. */
function suiteCommand(runtime: TestRuntime, extra: string[]): string[] {
  const hasPath = extra.some((arg) => !arg.startsWith("-"));
  const target = hasPath ? [] : ["tests/"];
  return runtime === "deno"
    ? [Deno.execPath(), "test", "-A", ...target, ...extra]
    : [findBun(), "test", ...target, ...extra];
}

/** Finds `bun` on PATH or next to the deno binary. */
function findBun(): string {
  const denoDir = dirname(Deno.execPath());
  const candidates = [
    ...(Deno.env.get("PATH") ?? "").split(delimiter).filter((dir) => dir !== ""),
    denoDir,
    join(denoDir, "..", ".bin"),
  ].map((dir) => join(dir, "bun"));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error("`bun` was not found on PATH or next to deno; install it (npm install bun)");
  }
  return found;
}

/** Runs the suite as a child process with `env`; resolves to its exit code. */
async function runSuite(command: string[], env: Record<string, string>): Promise<number> {
  const child = new Deno.Command(command[0], { args: command.slice(1), env }).spawn();
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch {
      // The child has already exited.
    }
  };
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    const status = await child.status;
    return status.signal === null ? status.code : 128 + signalNumber(status.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

function signalNumber(signal: Deno.Signal): number {
  return signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1;
}

/** Runs the suite against the configured endpoint, or a local one it starts and stops. */
async function main(args: string[]): Promise<number> {
  const { runtime, extra } = parseHarnessArgs(args);
  const command = suiteCommand(runtime, extra);
  const url = Deno.env.get("UPSTASH_REDIS_REST_URL");
  const token = Deno.env.get("UPSTASH_REDIS_REST_TOKEN");
  if (url && token) {
    console.error(`[run_tests] ${runtime} suite against ${url} (from the environment)`);
    return await runSuite(command, {});
  }
  const redis = await startRedisServer();
  try {
    const endpoint = await startUpstashLocal({ redisUrl: redis.url, quiet: true });
    try {
      console.error(
        `[run_tests] ${runtime} suite against the local endpoint ${endpoint.url} ` +
          `(redis-server ${redis.url})`,
      );
      return await runSuite(command, {
        UPSTASH_REDIS_REST_URL: endpoint.url,
        UPSTASH_REDIS_REST_TOKEN: endpoint.token,
      });
    } finally {
      await endpoint.close();
    }
  } finally {
    await redis.stop();
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
