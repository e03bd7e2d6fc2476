/**
 * The benchmark's side measurements: the client's memory around `publish(100000)` (in a
 * subprocess) and the REST endpoint's overhead per request.
 *
 * @module
 */

import type { BenchEnv } from "./env.ts";
import type { MemoryProbeResult } from "./memory_probe.ts";

/** The endpoint's cost per request, from sequential PINGs. */
export interface OverheadResult {
  /** PINGs per path. */
  pings: number;
  /** Mean ms per PING straight to redis-server (node-redis, RESP). */
  directMs: number;
  /** Mean ms per PING through the endpoint with a bare `fetch` (`POST /`). */
  fetchMs: number;
  /** Mean ms per PING through the endpoint with `@upstash/redis` (auto-pipelining off). */
  clientMs: number;
  /** `fetchMs - directMs`: what HTTP and the endpoint add per request. */
  endpointOverheadMs: number;
  /** `clientMs - fetchMs`: what `@upstash/redis` adds per request. */
  clientOverheadMs: number;
}

async function meanMs(count: number, once: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await once();
  const start = performance.now();
  for (let i = 0; i < count; i++) await once();
  return (performance.now() - start) / count;
}

/** Measures the endpoint's overhead per request with `pings` sequential PINGs per path. */
export async function measureOverhead(env: BenchEnv, pings = 500): Promise<OverheadResult> {
  env.setLatency(0);
  const directMs = await meanMs(pings, () => env.resp.sendCommand(["PING"]));
  const fetchMs = await meanMs(pings, async () => {
    const response = await fetch(env.rest.url, {
      method: "POST",
      headers: { authorization: `Bearer ${env.rest.token}` },
      body: '["ping"]',
    });
    await response.text();
  });
  const redis = env.newRedis({ autoPipelining: false });
  const clientMs = await meanMs(pings, () => redis.ping());
  return {
    pings,
    directMs,
    fetchMs,
    clientMs,
    endpointOverheadMs: fetchMs - directMs,
    clientOverheadMs: clientMs - fetchMs,
  };
}

/** The client's memory around one `publish(n)`, measured in a fresh Deno process. */
export interface MemoryResult extends MemoryProbeResult {
  /** Payloads per publish. */
  n: number;
  /** Subscribers. */
  subscribers: number;
}

/** Fills a queue with `n` payloads and runs the memory probe on it in a subprocess. */
export async function measureMemory(
  env: BenchEnv,
  n: number,
  subscribers: number,
): Promise<MemoryResult> {
  const prefix = `bench:memory:${crypto.randomUUID()}`;
  env.setLatency(0);
  await env.clear(prefix);
  await env.fillSet(`${prefix}:queue`, Array.from({ length: n }, (_, i) => `payload-${i}`));
  const probe = new URL("./memory_probe.ts", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", probe.pathname],
    env: {
      BENCH_REST_URL: env.rest.url,
      BENCH_REST_TOKEN: env.rest.token,
      BENCH_PREFIX: prefix,
      BENCH_N: String(n),
      BENCH_SUBSCRIBERS: String(subscribers),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  await env.clear(prefix);
  const text = new TextDecoder().decode(output.stdout).trim();
  if (!output.success) {
    throw new Error(`memory probe failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return { n, subscribers, ...(JSON.parse(text) as MemoryProbeResult) };
}
