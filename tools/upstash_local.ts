/**
 * A local, Upstash-compatible REST endpoint in front of a real redis-server.
 *
 * It speaks the subset of the Upstash REST protocol that `@upstash/redis` uses: `POST /` (one
 * command), `POST /pipeline` and `POST /multi-exec` (arrays of commands), with the same response
 * shapes, status codes and `Upstash-Encoding: base64` handling. Commands are forwarded with
 * node-redis over RESP2. It exists for tests and benchmarks, never for production.
 *
 * Protocol decisions where Upstash is silent or where this endpoint differs:
 * - Arguments: strings are sent as they are, numbers as `String(n)`, booleans as `"true"` /
 *   `"false"`, and JSON `null` as the empty string (what SRH does). Nested arrays and objects are
 *   rejected with 400.
 * - A Redis error nested inside a result array (a Lua table holding `redis.error_reply(...)`) is
 *   rendered as its message string. At the top of a pipeline or EXEC item it is `{"error": msg}`.
 * - A transaction aborted at queue time (unknown command, wrong arity) answers 400 with the
 *   first queue-time error message unchanged, e.g. `ERR unknown command 'nope', ...`.
 * - Commands that would change the state of a shared connection or block it (MULTI, WATCH,
 *   SUBSCRIBE, SELECT, BLPOP, ...) are rejected with 400, like Upstash's REST API does.
 * - While redis-server is unreachable, requests answer 503 `{"error": ...}` within about 2 s.
 * - Bodies larger than `maxBodyBytes` answer 413 `{"error":"ERR max request size exceeded"}`.
 *
 * Run it as a CLI with `deno task upstash-local [--redis-url redis://...] [--port N]
 * [--hostname H] [--token T] [--latency-ms N] [--faults] [--fault SPEC]... [--fault-seed N]`.
 *
 * Fault injection (`tools/faults.ts`) is off by default. `injectFaults` (or `--faults`, or any
 * `--fault`) turns it on: the HTTP server then listens on an internal port behind a small TCP
 * proxy (`tools/fault_proxy.ts`) that can close or reset a client's connection, the returned
 * endpoint has a {@linkcode FaultInjector} at `faults`, and `GET`/`POST /__faults` (with the
 * bearer token, not counted in the stats) reads and sets rules from another process:
 * `{"clear": true, "rules": [{"kind": "drop-after-execute", "count": 1, "match": "evalsha"}]}`.
 * Kinds: `latency`, `slow-script`, `script-flush`, `redis-restart`, `error-before`, `reset`,
 * `drop-after-execute`. `--fault KIND[:PROBABILITY[:VALUE]]` (repeatable) adds a rule firing on
 * each request with that chance (default 1); VALUE is the milliseconds of `latency` and
 * `slow-script` or the status of `error-before`. Examples: `--fault drop-after-execute:0.1`,
 * `--fault latency:1:50`, `--fault error-before:0.05:502`. With the CLI's own throw-away
 * redis-server (no `--redis-url`), fault injection starts it with persistence so that
 * `redis-restart` keeps the data. `--fault-seed N` makes the chances reproducible.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * const endpoint = await startUpstashLocal({ redisUrl: redis.url, quiet: true });
 * // new Redis({ url: endpoint.url, token: endpoint.token }) from "@upstash/redis" now works.
 * await endpoint.close();
 * await redis.stop();
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import process from "node:process";
import { parseArgs } from "node:util";
import { createClient, ErrorReply } from "redis";
import { type FaultProxy, startFaultProxy } from "./fault_proxy.ts";
import { FaultInjector, type FaultRule, parseFaultSpec } from "./faults.ts";
import { type RedisServer, startRedisServer } from "./redis_server.ts";

export {
  FAULT_KINDS,
  FaultInjector,
  type FaultKind,
  type FaultRule,
  type FaultState,
} from "./faults.ts";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** Counters kept by the endpoint since start-up or the last reset. */
export interface EndpointStats {
  /** HTTP requests to a command route (`POST /`, `/pipeline`, `/multi-exec`), rejected ones too. */
  requests: number;
  /** Redis commands executed on behalf of those requests (MULTI and EXEC are not counted). */
  commands: number;
  /** Executed `POST /pipeline` requests. */
  pipelines: number;
  /** Executed `POST /multi-exec` requests. */
  transactions: number;
  /** Executed `POST /` requests. */
  singles: number;
  /** Command-route requests answered with a status of 400 or more. */
  errors: number;
}

/** Options for {@linkcode startUpstashLocal}. */
export interface UpstashLocalOptions {
  /** The redis-server to forward to, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** The bearer token clients must send. @default 32 random hex characters */
  token?: string;
  /** The interface to bind. @default "127.0.0.1" */
  hostname?: string;
  /** The port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Milliseconds to wait before answering each command request. @default 0 */
  latencyMs?: number;
  /** The largest accepted request body. @default 10 MiB */
  maxBodyBytes?: number;
  /** Suppress the connection-state messages written to stderr. @default false */
  quiet?: boolean;
  /** Fault-injection hooks, consulted around each command request. @default none */
  faults?: FaultHooks;
  /**
   * Turns on the built-in fault injector (`endpoint.faults`, `/__faults`) and the TCP proxy it
   * needs to close and reset connections. `true`, or options with initial rules and a way to
   * restart redis-server for `redis-restart`. @default false (off)
   */
  injectFaults?: boolean | FaultInjectionOptions;
}

/** Options of the built-in fault injector. */
export interface FaultInjectionOptions {
  /** Rules active from the start. @default none */
  rules?: readonly FaultRule[];
  /** Restarts redis-server, for `redis-restart` rules (e.g. `() => server.restart()`). */
  restartRedis?: () => Promise<void>;
  /** Uniform numbers in [0, 1) for rules with a probability. @default Math.random */
  random?: () => number;
}

/** A running local endpoint, as returned by {@linkcode startUpstashLocal}. */
export interface UpstashLocal {
  /** The base URL to give `@upstash/redis`, e.g. `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The bearer token the endpoint accepts. */
  readonly token: string;
  /** A snapshot of the counters. */
  stats(): EndpointStats;
  /** Sets every counter back to zero. */
  resetStats(): void;
  /** Changes the artificial per-request latency (milliseconds, 0 turns it off). */
  setLatency(ms: number): void;
  /** The fault injector, when started with `injectFaults`; otherwise undefined. */
  readonly faults: FaultInjector | undefined;
  /** Stops accepting requests, waits for the ones in flight and closes the Redis connections. */
  close(): Promise<void>;
}

/** The three command routes. */
export type CommandRoute = "single" | "pipeline" | "transaction";

/** What a fault hook learns about the command request being served. */
export interface FaultContext {
  /** Which command route the request hit. */
  readonly route: CommandRoute;
  /** The validated commands, each already converted to string arguments. */
  readonly commands: readonly (readonly string[])[];
  /** The incoming request (its body has been consumed). */
  readonly request: Request;
  /** Closes (FIN) or resets (RST) the client's TCP connection; only behind the fault proxy. */
  readonly connection?: ConnectionControl;
}

/** Cuts one client connection; nothing more reaches the client afterwards. */
export interface ConnectionControl {
  /** Closes the connection without sending anything more. */
  close(): void;
  /** Resets the connection (TCP RST). */
  reset(): void;
}

/**
 * Hook points for fault injection. Both are optional and unset by default; they only run for
 * authorized, well-formed command requests.
 */
export interface FaultHooks {
  /** Runs before anything reaches Redis. Returning a Response answers with it instead. */
  beforeExecute?(context: FaultContext): Response | undefined | Promise<Response | undefined>;
  /** Runs after execution. Returning a Response replaces the one about to be sent. */
  afterExecute?(
    context: FaultContext,
    response: Response,
  ): Response | undefined | Promise<Response | undefined>;
}

/**
 * A Redis reply in RESP2 shape. An {@linkcode RedisReplyError} at the top level means the command
 * failed; nested inside an array it is an error element (e.g. from a Lua table).
 */
export type RedisReply = string | number | null | RedisReplyError | RedisReply[];

/** An error reply sent by Redis; the message is Redis's text, unchanged. */
export class RedisReplyError extends Error {
  /** Wraps a Redis error message. */
  constructor(message: string) {
    super(message);
    this.name = "RedisReplyError";
  }
}

/** Thrown by a {@linkcode RedisBackend} when redis-server cannot be reached. */
export class RedisUnavailableError extends Error {
  /** Describes why Redis could not be reached. */
  constructor(reason: string) {
    super(`ERR upstash-local: redis-server is unreachable (${reason})`);
    this.name = "RedisUnavailableError";
  }
}

/** The Redis side of the endpoint. Every method throws only {@linkcode RedisUnavailableError}. */
export interface RedisBackend {
  /** Runs commands in order, pipelined on one shared connection; one reply per command. */
  pipeline(commands: readonly (readonly string[])[]): Promise<RedisReply[]>;
  /**
   * Runs MULTI, the commands and EXEC on a connection no other request uses meanwhile. Returns
   * EXEC's array, or a {@linkcode RedisReplyError} when the transaction was discarded.
   */
  transaction(commands: readonly (readonly string[])[]): Promise<RedisReply>;
  /** Whether the shared connection is currently up. */
  readonly ready: boolean;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** Options for {@linkcode createUpstashHandler}. */
export interface UpstashHandlerOptions {
  /** Where commands are executed. */
  backend: RedisBackend;
  /** The bearer token clients must send. */
  token: string;
  /** Counters the handler increments in place. */
  stats: EndpointStats;
  /** The largest accepted request body. @default 10 MiB */
  maxBodyBytes?: number;
  /** Returns the current artificial latency in milliseconds. @default () => 0 */
  latencyMs?: () => number;
  /** Fault-injection hooks. @default none */
  faults?: FaultHooks;
  /** Serves `GET`/`POST /__faults` (otherwise 404): the injector's state and admin. */
  faultAdmin?: { state(): unknown; admin(body: unknown): unknown };
  /** Receives one-line diagnostics (never tokens or stack traces). @default no logging */
  log?: (message: string) => void;
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const READY_WAIT_MS = 2_000;
/** Even after a long outage a request waits this long, so a just-restarted Redis is found. */
const MIN_READY_WAIT_MS = 250;
const RECONNECT_MAX_MS = 100;
const STARTUP_CONNECT_MS = 5_000;
const MAX_IDLE_TRANSACTION_CONNECTIONS = 8;

/**
 * Starts the local endpoint: connects to `redisUrl` (failing after 5 s if it cannot) and listens
 * on `hostname:port`. Works under Deno (`Deno.serve`) and Bun (`Bun.serve`).
 */
export async function startUpstashLocal(options: UpstashLocalOptions): Promise<UpstashLocal> {
  const token = options.token ?? randomToken();
  if (token === "") throw new TypeError("The token must not be empty");
  let latencyMs = checkedLatency(options.latencyMs ?? 0);
  const log = options.quiet
    ? () => {}
    : (message: string) => console.error(`[upstash-local] ${message}`);
  const injection = options.injectFaults === true ? {} : options.injectFaults || undefined;
  const backend = await connectRedisBackend(options.redisUrl, { log });
  const injector = injection === undefined ? undefined : new FaultInjector({
    run: (commands) => backend.pipeline(commands),
    restartRedis: injection.restartRedis,
    random: injection.random,
  });
  try {
    injector?.add(injection?.rules ?? []);
  } catch (error) {
    await backend.close();
    throw error;
  }
  const stats = emptyStats();
  const handler = createUpstashHandler({
    backend,
    token,
    stats,
    maxBodyBytes: options.maxBodyBytes,
    latencyMs: () => latencyMs,
    faults: injector === undefined ? options.faults : chainHooks(injector, options.faults),
    faultAdmin: injector,
    log,
  });
  const hostname = options.hostname ?? "127.0.0.1";
  let server: HttpServer;
  let proxy: FaultProxy | undefined;
  try {
    if (injector === undefined) {
      server = await serve((request) => handler(request), hostname, options.port ?? 0);
    } else {
      // The HTTP server gets an internal port; the proxy the public one, so it can cut
      // connections the handler names by their remote port.
      const connection = (port: number | undefined): ConnectionControl | undefined =>
        port === undefined ? undefined : {
          close: () => void proxy?.cut(port, "close"),
          reset: () => void proxy?.cut(port, "reset"),
        };
      server = await serve((request, port) => handler(request, connection(port)), "127.0.0.1", 0);
      proxy = await startFaultProxy({ hostname, port: options.port ?? 0, targetPort: server.port })
        .catch(async (error) => {
          await server.close();
          throw error;
        });
    }
  } catch (error) {
    await backend.close();
    throw error;
  }
  return {
    url: `http://${urlHost(hostname)}:${proxy?.port ?? server.port}`,
    token,
    stats: () => ({ ...stats }),
    resetStats: () => void Object.assign(stats, emptyStats()),
    setLatency: (ms) => void (latencyMs = checkedLatency(ms)),
    faults: injector,
    close: async () => {
      await proxy?.close();
      await server.close();
      await backend.close();
    },
  };
}

/** The injector's hooks first, then the caller's own. */
function chainHooks(first: FaultHooks, second: FaultHooks | undefined): FaultHooks {
  return {
    beforeExecute: async (context) =>
      await first.beforeExecute?.(context) ?? await second?.beforeExecute?.(context),
    afterExecute: async (context, response) => {
      const replaced = await first.afterExecute?.(context, response) ?? response;
      return await second?.afterExecute?.(context, replaced) ?? replaced;
    },
  };
}

function checkedLatency(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Invalid latency: ${ms} ms`);
  return ms;
}

function emptyStats(): EndpointStats {
  return { requests: 0, commands: 0, pipelines: 0, transactions: 0, singles: 0, errors: 0 };
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function urlHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

interface HttpServer {
  port: number;
  close(): Promise<void>;
}

interface BunServeOptions {
  hostname: string;
  port: number;
  fetch: (request: Request, server: BunServer) => Promise<Response>;
  error: () => Response;
}

interface BunServer {
  port: number;
  stop(force?: boolean): Promise<void>;
  requestIP(request: Request): { port: number } | null;
}

interface BunRuntime {
  serve(options: BunServeOptions): BunServer;
}

/**
 * Serves `handler` with the runtime's own HTTP server; the handler also gets the request's
 * remote port.
 */
function serve(
  handler: (request: Request, remotePort: number | undefined) => Promise<Response>,
  hostname: string,
  port: number,
): Promise<HttpServer> {
  const onError = () => errorResponse(500, "ERR upstash-local internal error");
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun !== undefined) {
    const server = bun.serve({
      hostname,
      port,
      fetch: (request, server) => handler(request, server.requestIP(request)?.port),
      error: onError,
    });
    return Promise.resolve({ port: server.port, close: () => server.stop(true) });
  }
  if (typeof Deno !== "undefined") {
    return new Promise((resolve) => {
      const server: Deno.HttpServer = Deno.serve({
        hostname,
        port,
        onError,
        onListen: ({ port }) => resolve({ port, close: () => server.shutdown() }),
      }, (request, info) => handler(request, (info.remoteAddr as Deno.NetAddr).port));
    });
  }
  throw new Error("upstash-local needs Deno or Bun");
}

// ---------------------------------------------------------------------------------------------
// Request handler
// ---------------------------------------------------------------------------------------------

/** An HTTP failure with a JSON `{"error": message}` body. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type Route =
  | { kind: "health" }
  | { kind: "stats" }
  | { kind: "stats-reset" }
  | { kind: "faults" }
  | { kind: "command"; route: CommandRoute };

/** Path -> method -> route. Maps, so that no request can reach Object.prototype members. */
const ROUTES = new Map<string, Map<string, Route>>([
  [
    "/",
    new Map<string, Route>([
      ["GET", { kind: "health" }],
      ["HEAD", { kind: "health" }],
      ["POST", { kind: "command", route: "single" }],
    ]),
  ],
  ["/pipeline", new Map([["POST", { kind: "command", route: "pipeline" }]])],
  ["/multi-exec", new Map([["POST", { kind: "command", route: "transaction" }]])],
  ["/__stats", new Map([["GET", { kind: "stats" }]])],
  ["/__stats/reset", new Map([["POST", { kind: "stats-reset" }]])],
  [
    "/__faults",
    new Map<string, Route>([["GET", { kind: "faults" }], ["POST", { kind: "faults" }]]),
  ],
]);

/**
 * Builds the web-standard request handler of the endpoint, independent of any HTTP server.
 * It never throws: every failure becomes a JSON `{"error": ...}` response.
 */
export function createUpstashHandler(
  options: UpstashHandlerOptions,
): (request: Request, connection?: ConnectionControl) => Promise<Response> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const latencyMs = options.latencyMs ?? (() => 0);
  const log = options.log ?? (() => {});
  const isAuthorized = bearerChecker(options.token);
  const { stats, backend, faults } = options;

  async function handleCommand(
    request: Request,
    route: CommandRoute,
    connection: ConnectionControl | undefined,
  ): Promise<Response> {
    if (!isAuthorized(request)) throw new HttpError(401, "Unauthorized");
    const body = await readJsonBody(request, maxBodyBytes);
    const commands = parseCommands(route, body);
    const context: FaultContext = { route, commands, request, connection };
    const injected = await faults?.beforeExecute?.(context);
    if (injected !== undefined) return injected;
    const response = await execute(backend, route, commands, wantsBase64(request));
    countExecution(stats, route, commands.length);
    return await faults?.afterExecute?.(context, response) ?? response;
  }

  function handleAdmin(request: Request, kind: "stats" | "stats-reset"): Response {
    if (!isAuthorized(request)) throw new HttpError(401, "Unauthorized");
    if (kind === "stats-reset") Object.assign(stats, emptyStats());
    return jsonResponse(200, kind === "stats" ? { ...stats } : { result: "OK" });
  }

  async function handleFaults(request: Request): Promise<Response> {
    const admin = options.faultAdmin;
    if (admin === undefined) throw new HttpError(404, "Not found");
    if (!isAuthorized(request)) throw new HttpError(401, "Unauthorized");
    if (request.method === "GET") return jsonResponse(200, admin.state() as JsonValue);
    const body = await readJsonBody(request, maxBodyBytes);
    try {
      return jsonResponse(200, admin.admin(body) as JsonValue);
    } catch (error) {
      throw new HttpError(400, `ERR ${errorMessage(error)}`);
    }
  }

  async function dispatch(
    request: Request,
    route: Route,
    connection: ConnectionControl | undefined,
  ): Promise<Response> {
    switch (route.kind) {
      case "health":
        return jsonResponse(200, { status: "ok", redis: backend.ready ? "ready" : "unreachable" });
      case "stats":
      case "stats-reset":
        return handleAdmin(request, route.kind);
      case "faults":
        return await handleFaults(request);
      case "command":
        return await handleCommand(request, route.route, connection);
    }
  }

  return async (request, connection) => {
    const routes = ROUTES.get(new URL(request.url).pathname);
    if (routes === undefined) return errorResponse(404, "Not found");
    const route = routes.get(request.method);
    if (route === undefined) {
      return errorResponse(405, "Method not allowed", { allow: [...routes.keys()].join(", ") });
    }
    const isCommand = route.kind === "command";
    if (isCommand) stats.requests++;
    let response: Response;
    try {
      response = await dispatch(request, route, connection);
    } catch (error) {
      response = failureResponse(error, log);
    }
    if (!isCommand) return request.method === "HEAD" ? withoutBody(response) : response;
    if (response.status >= 400) stats.errors++;
    const delay = latencyMs();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    return response;
  };
}

function countExecution(stats: EndpointStats, route: CommandRoute, commands: number): void {
  stats.commands += commands;
  if (route === "single") stats.singles++;
  else if (route === "pipeline") stats.pipelines++;
  else stats.transactions++;
}

function failureResponse(error: unknown, log: (message: string) => void): Response {
  if (error instanceof HttpError) return errorResponse(error.status, error.message);
  if (error instanceof RedisUnavailableError) return errorResponse(503, error.message);
  log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  return errorResponse(500, "ERR upstash-local internal error");
}

/** Executes validated commands and renders the Upstash response for the route. */
async function execute(
  backend: RedisBackend,
  route: CommandRoute,
  commands: readonly (readonly string[])[],
  base64: boolean,
): Promise<Response> {
  if (route === "pipeline") {
    const replies = await backend.pipeline(commands);
    return jsonResponse(200, replies.map((reply) => renderItem(reply, base64)));
  }
  const reply = route === "single"
    ? (await backend.pipeline(commands))[0]
    : await backend.transaction(commands);
  if (reply instanceof RedisReplyError) return errorResponse(400, reply.message);
  if (route === "single") return jsonResponse(200, { result: renderValue(reply, base64) });
  if (!Array.isArray(reply)) {
    return errorResponse(400, "EXECABORT Transaction discarded because of previous errors.");
  }
  return jsonResponse(200, reply.map((item) => renderItem(item, base64)));
}

// ---------------------------------------------------------------------------------------------
// Authentication, body reading and validation
// ---------------------------------------------------------------------------------------------

/** Returns a constant-time check of `Authorization: Bearer <token>`. */
function bearerChecker(token: string): (request: Request) => boolean {
  const expected = sha256(token);
  return (request) => {
    const match = /^(\S+) +(.*)$/.exec(request.headers.get("authorization") ?? "");
    const scheme = match?.[1].toLowerCase() ?? "";
    const given = sha256(match?.[2] ?? "");
    return equalBytes(given, expected) && scheme === "bearer";
  };
}

/** SHA-256 with `node:crypto`: synchronous, about 15x cheaper per request than Web Crypto's. */
function sha256(text: string): Uint8Array {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Compares two equally long digests without an early exit. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** Reads and parses the JSON body, enforcing `limit` on Content-Length and while streaming. */
async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `ERR max request size exceeded. Limit: ${limit} bytes`);
  if (Number(request.headers.get("content-length") ?? 0) > limit) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      size += chunk.value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(chunk.value);
    }
  }
  try {
    return JSON.parse(new TextDecoder().decode(Buffer.concat(chunks)));
  } catch {
    throw new HttpError(400, "ERR the request body is not valid JSON");
  }
}

/** Validates the body of a command route and converts every argument to a string. */
function parseCommands(route: CommandRoute, body: unknown): string[][] {
  if (route === "single") return [parseCommand(body)];
  if (!Array.isArray(body) || body.length === 0) {
    throw new HttpError(400, "ERR expected a non-empty JSON array of commands");
  }
  return body.map(parseCommand);
}

function parseCommand(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, "ERR a command must be a non-empty JSON array");
  }
  const args = value.map(toArgument);
  const refusal = refusalReason(args);
  if (refusal !== undefined) throw new HttpError(400, refusal);
  return args;
}

/** Strings as they are, numbers and booleans via `String()`, null as "". */
function toArgument(value: unknown): string {
  if (value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new HttpError(
    400,
    "ERR arguments must be strings, numbers, booleans or null; nested arrays and objects " +
      "are not allowed",
  );
}

/** Commands that would block a shared connection or change its state. */
const REFUSED_COMMANDS = new Set([
  "multi",
  "exec",
  "discard",
  "watch",
  "unwatch",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
  "monitor",
  "select",
  "hello",
  "auth",
  "reset",
  "quit",
  "sync",
  "psync",
  "replconf",
  "replicaof",
  "slaveof",
  "shutdown",
  "blpop",
  "brpop",
  "brpoplpush",
  "blmove",
  "blmpop",
  "bzpopmin",
  "bzpopmax",
  "bzmpop",
  "wait",
  "waitaof",
]);

function refusalReason(args: readonly string[]): string | undefined {
  const name = args[0].toLowerCase();
  // Only the commands that need it look at (and lower-case) their other arguments.
  const first = () => args[1]?.toLowerCase();
  const refused = REFUSED_COMMANDS.has(name) ||
    (name === "client" && (first() === "reply" || first() === "pause")) ||
    ((name === "xread" || name === "xreadgroup") &&
      args.some((arg, i) => i > 0 && arg.toLowerCase() === "block"));
  return refused ? `ERR Command is not available over the REST API: '${args[0]}'` : undefined;
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

type JsonValue = string | number | null | JsonValue[] | { [key: string]: JsonValue };

function wantsBase64(request: Request): boolean {
  return request.headers.get("upstash-encoding")?.toLowerCase() === "base64";
}

/** A pipeline or EXEC item: `{result}` or, for a failed command, `{error}` (never encoded). */
function renderItem(reply: RedisReply, base64: boolean): JsonValue {
  if (reply instanceof RedisReplyError) return { error: reply.message };
  return { result: renderValue(reply, base64) };
}

/** Renders a RESP2 reply; with base64 every string at every depth is encoded. */
function renderValue(reply: RedisReply, base64: boolean): JsonValue {
  if (reply instanceof RedisReplyError) return renderValue(reply.message, base64);
  if (Array.isArray(reply)) return reply.map((item) => renderValue(item, base64));
  if (typeof reply === "string" && base64) return toBase64(reply);
  return reply;
}

/** Base64 of the UTF-8 bytes of `text`; `btoa` (cheaper) when they are the characters. */
function toBase64(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, "utf8").toString("base64") : btoa(text);
}

const NON_ASCII = /[\u0080-\uffff]/;

function jsonResponse(status: number, body: JsonValue, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function errorResponse(status: number, message: string, headers?: HeadersInit): Response {
  return jsonResponse(status, { error: message }, headers);
}

function withoutBody(response: Response): Response {
  return new Response(null, { status: response.status, headers: response.headers });
}

// ---------------------------------------------------------------------------------------------
// Redis backend (node-redis, RESP2)
// ---------------------------------------------------------------------------------------------

type NodeRedisClient = ReturnType<typeof createClient>;

/** Options for {@linkcode connectRedisBackend}. */
export interface RedisBackendOptions {
  /** Receives connection-state messages (down / up). @default no logging */
  log?: (message: string) => void;
}

/**
 * Connects a {@linkcode RedisBackend} to `redisUrl` with node-redis (RESP2). The shared
 * connection reconnects on its own; transactions get dedicated connections from a small pool.
 *
 * @throws {RedisUnavailableError} if Redis cannot be reached within 5 s.
 */
export async function connectRedisBackend(
  redisUrl: string,
  options: RedisBackendOptions = {},
): Promise<RedisBackend> {
  const backend = new NodeRedisBackend(redisUrl, options.log ?? (() => {}));
  await backend.connect();
  return backend;
}

class NodeRedisBackend implements RedisBackend {
  readonly #url: string;
  readonly #log: (message: string) => void;
  readonly #main: NodeRedisClient;
  readonly #idle: NodeRedisClient[] = [];
  #downSince: number | undefined;
  #closed = false;

  constructor(url: string, log: (message: string) => void) {
    this.#url = url;
    this.#log = log;
    this.#main = this.#newClient(true);
    this.#main.on("error", (error: Error) => this.#markDown(error));
    this.#main.on("ready", () => this.#markUp());
  }

  get ready(): boolean {
    return this.#main.isReady;
  }

  async connect(): Promise<void> {
    await connectWithin(this.#main, STARTUP_CONNECT_MS);
  }

  async pipeline(commands: readonly (readonly string[])[]): Promise<RedisReply[]> {
    await this.#mainReady();
    return await sendAll(this.#main, commands);
  }

  async transaction(commands: readonly (readonly string[])[]): Promise<RedisReply> {
    const connection = await this.#acquire();
    let reusable = false;
    try {
      const replies = await sendAll(connection, [["MULTI"], ...commands, ["EXEC"]]);
      reusable = true;
      const queueError = replies.slice(1, -1).find((reply) => reply instanceof RedisReplyError);
      return queueError ?? replies[replies.length - 1];
    } finally {
      this.#release(connection, reusable);
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const client of [this.#main, ...this.#idle.splice(0)]) discard(client);
    return Promise.resolve();
  }

  /**
   * The shared client reconnects forever with a short back-off; pool clients never reconnect
   * (a broken one is dropped) and fail fast while Redis is down.
   */
  #newClient(reconnect: boolean): NodeRedisClient {
    return createClient({
      url: this.#url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: READY_WAIT_MS,
        reconnectStrategy: reconnect
          ? (retries) => Math.min(25 * 2 ** retries, RECONNECT_MAX_MS)
          : false,
      },
    });
  }

  /**
   * Waits for the shared connection until it has been down for READY_WAIT_MS, but at least
   * MIN_READY_WAIT_MS, so that requests during a long outage fail fast.
   */
  async #mainReady(): Promise<void> {
    if (this.#main.isReady) return;
    if (this.#closed) throw new RedisUnavailableError("the endpoint is closing");
    const downFor = Date.now() - (this.#downSince ?? Date.now());
    await waitForReady(this.#main, Math.max(READY_WAIT_MS - downFor, MIN_READY_WAIT_MS));
  }

  async #acquire(): Promise<NodeRedisClient> {
    for (let client = this.#idle.pop(); client !== undefined; client = this.#idle.pop()) {
      if (client.isReady) return client;
      discard(client);
    }
    await this.#mainReady();
    const client = this.#newClient(false);
    client.on("error", () => {});
    await connectWithin(client, READY_WAIT_MS);
    return client;
  }

  #release(client: NodeRedisClient, reusable: boolean): void {
    const keep = reusable && !this.#closed && client.isReady &&
      this.#idle.length < MAX_IDLE_TRANSACTION_CONNECTIONS;
    if (keep) this.#idle.push(client);
    else discard(client);
  }

  #markDown(error: Error): void {
    if (this.#downSince !== undefined || this.#closed) return;
    this.#downSince = Date.now();
    this.#log(`lost the connection to Redis (${error.message}); reconnecting`);
  }

  #markUp(): void {
    if (this.#downSince === undefined) return;
    this.#downSince = undefined;
    this.#log("reconnected to Redis");
  }
}

/** Sends commands pipelined on one connection; Redis errors become RedisReplyError values. */
async function sendAll(
  client: NodeRedisClient,
  commands: readonly (readonly string[])[],
): Promise<RedisReply[]> {
  const settled = await Promise.allSettled(commands.map((args) => client.sendCommand(args)));
  return settled.map((outcome) => {
    if (outcome.status === "fulfilled") return toReply(outcome.value);
    if (outcome.reason instanceof ErrorReply) return new RedisReplyError(outcome.reason.message);
    throw new RedisUnavailableError(errorMessage(outcome.reason));
  });
}

/** Converts a node-redis reply to RESP2 shape (RESP3-only types are flattened defensively). */
function toReply(raw: unknown): RedisReply {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === "string" || typeof raw === "number") return raw;
  if (typeof raw === "boolean") return raw ? 1 : 0;
  if (raw instanceof ErrorReply) return new RedisReplyError(raw.message);
  if (raw instanceof Uint8Array) return new TextDecoder().decode(raw);
  if (Array.isArray(raw) || raw instanceof Set) return Array.from(raw, toReply);
  if (raw instanceof Map) return Array.from(raw).flat().map(toReply);
  if (typeof raw === "object") return Object.entries(raw).flat().map(toReply);
  return String(raw);
}

async function connectWithin(client: NodeRedisClient, ms: number): Promise<void> {
  const connecting = client.connect();
  connecting.catch(() => {});
  try {
    await withTimeout(connecting, ms, "connection timed out");
  } catch (error) {
    discard(client);
    throw new RedisUnavailableError(errorMessage(error));
  }
}

/** Destroys a client; node-redis throws when it is already closed, which is fine here. */
function discard(client: NodeRedisClient): void {
  if (client.isOpen) client.destroy();
}

function waitForReady(client: NodeRedisClient, ms: number): Promise<void> {
  let onReady = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = () => resolve();
    client.once("ready", onReady);
  });
  return withTimeout(ready, ms, "not connected").catch((error) => {
    throw new RedisUnavailableError(errorMessage(error));
  }).finally(() => client.off("ready", onReady));
}

function withTimeout<T>(promise: Promise<T>, ms: number, reason: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(reason)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const USAGE = "usage: deno task upstash-local [--redis-url redis://HOST:PORT] [--port N] " +
  "[--hostname H] [--token T] [--latency-ms N] [--faults] [--fault KIND[:PROBABILITY[:VALUE]]]... " +
  "[--fault-seed N]";

interface CliOptions extends Omit<UpstashLocalOptions, "redisUrl" | "injectFaults"> {
  redisUrl?: string;
  /** Fault rules from `--fault`, or [] for `--faults` alone; undefined: injection off. */
  faultRules?: FaultRule[];
  faultSeed?: number;
}

function parseCli(args: string[]): CliOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      "redis-url": { type: "string" },
      port: { type: "string" },
      hostname: { type: "string" },
      token: { type: "string" },
      "latency-ms": { type: "string" },
      faults: { type: "boolean" },
      fault: { type: "string", multiple: true },
      "fault-seed": { type: "string" },
    },
  });
  const number = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs an integer >= 0`);
    return value;
  };
  return {
    redisUrl: values["redis-url"],
    port: number("port", values.port),
    hostname: values.hostname,
    token: values.token,
    latencyMs: number("latency-ms", values["latency-ms"]),
    faultRules: values.faults || values.fault !== undefined
      ? (values.fault ?? []).map(parseFaultSpec)
      : undefined,
    faultSeed: number("fault-seed", values["fault-seed"]),
  };
}

/** Mulberry32: reproducible chances for `--fault-seed`, well spread even for small seeds. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(args: string[]): Promise<void> {
  let options;
  try {
    options = parseCli(args);
  } catch (error) {
    console.error(`${errorMessage(error)}\n${USAGE}`);
    process.exit(2);
  }
  const { faultRules, faultSeed, ...endpointOptions } = options;
  const faulty = faultRules !== undefined;
  let redis: RedisServer | undefined;
  if (options.redisUrl === undefined) redis = await startRedisServer({ persistent: faulty });
  const redisUrl = options.redisUrl ?? redis!.url;
  const injectFaults = faulty && {
    rules: faultRules,
    restartRedis: redis === undefined ? undefined : () => redis!.restart(),
    random: faultSeed === undefined ? undefined : seeded(faultSeed),
  };
  const endpoint = await startUpstashLocal({ ...endpointOptions, redisUrl, injectFaults }).catch(
    async (error) => {
      await redis?.stop();
      throw error;
    },
  );
  console.log(`export UPSTASH_REDIS_REST_URL=${endpoint.url}`);
  console.log(`export UPSTASH_REDIS_REST_TOKEN=${endpoint.token}`);
  const owner = redis === undefined ? "" : " (a throw-away redis-server)";
  console.error(`# forwarding to ${redisUrl}${owner}; press Ctrl-C to stop`);
  if (faulty) console.error(`# fault injection on: ${JSON.stringify(faultRules)}`);
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  console.error(`# ${signal}: shutting down`);
  await endpoint.close();
  await redis?.stop();
  process.exit(0);
}

if (import.meta.main) {
  await main(process.argv.slice(2)).catch((error) => {
    console.error(`upstash-local: ${errorMessage(error)}`);
    process.exit(1);
  });
}
