/**
 * Starts throw-away `redis-server` processes for tests, benchmarks and the local
 * Upstash-compatible endpoint.
 *
 * Each server binds 127.0.0.1, persists nothing (`--save ""`, `--appendonly no`) unless started
 * with `persistent: true` (`--appendonly yes --appendfsync always`: every write survives
 * {@linkcode RedisServer.restart}), keeps its files in a temporary directory of its own and runs as a child process of the caller (never
 * daemonized). It is written against `node:` built-ins so that it works under Deno and Bun.
 *
 * @example
 * ```ts
 * const server = await startRedisServer();
 * console.log(server.url); // redis://127.0.0.1:PORT
 * await server.restart(); // same port, empty data set
 * await server.stop();
 * ```
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";

/** A running throw-away redis-server. */
export interface RedisServer {
  /** The TCP port on 127.0.0.1. It stays the same across {@linkcode RedisServer.restart}. */
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and deletes its temporary directory. */
  stop(): Promise<void>;
  /**
   * Stops the server and starts a fresh one on the same port; resolves once it answers PING.
   * The data set is empty afterwards, unless the server is persistent.
   */
  restart(): Promise<void>;
}

/** Options for {@linkcode startRedisServer}. */
export interface RedisServerOptions {
  /** The port to listen on. @default a free port chosen by the operating system */
  port?: number;
  /**
   * Keep the data across {@linkcode RedisServer.restart} with an append-only file fsynced on
   * every write (`--appendonly yes --appendfsync always`). @default false
   */
  persistent?: boolean;
}

const BINARY = "redis-server";
const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;

/**
 * Starts a throw-away redis-server and waits until it answers PING.
 *
 * @throws {Error} if the `redis-server` binary is not on PATH (the message says how to install
 * it), or if the server does not become ready within 10 s (the message quotes its log).
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = findOnPath(BINARY);
  if (binary === undefined) throw new Error(missingBinaryMessage());
  const port = options.port ?? await freePort();
  const instance = new RedisInstance(binary, port, options.persistent ?? false);
  await instance.start();
  return {
    port,
    url: `redis://${HOST}:${port}`,
    stop: () => instance.stop(),
    restart: () => instance.restart(),
  };
}

function missingBinaryMessage(): string {
  return `"${BINARY}" was not found on PATH. The test suite and the local Upstash endpoint need ` +
    "a real redis-server (7.x). Install it with `sudo apt-get install redis-server` on " +
    "Debian/Ubuntu or `brew install redis` on macOS, then run the command again.";
}

/** One redis-server bound to a fixed port; can be started and stopped repeatedly. */
class RedisInstance {
  #child: ChildProcess | undefined;
  #dir: string | undefined;
  readonly #killOnExit = () => this.#child?.kill("SIGKILL");

  constructor(readonly binary: string, readonly port: number, readonly persistent: boolean) {}

  async start(): Promise<void> {
    this.#dir ??= mkdtempSync(join(tmpdir(), "redis-director-redis-"));
    const child = spawn(this.binary, this.#args(this.#dir), { stdio: "ignore" });
    this.#child = child;
    // Never let a forgotten server keep the runtime alive, and never let it outlive us.
    child.unref();
    process.once("exit", this.#killOnExit);
    const exited = onceExited(child).then((code) => {
      throw new Error(
        `redis-server on port ${this.port} exited with code ${code} during start-up:\n` +
          this.#logTail(),
      );
    });
    try {
      await Promise.race([waitForPing(this.port, READY_TIMEOUT_MS), exited]);
    } catch (error) {
      await this.#kill();
      throw error;
    } finally {
      exited.catch(() => {});
    }
  }

  async stop(): Promise<void> {
    await this.#kill();
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }

  async restart(): Promise<void> {
    await this.#kill();
    await this.start();
  }

  #args(dir: string): string[] {
    return [
      "--port",
      String(this.port),
      "--bind",
      HOST,
      "--save",
      "",
      "--appendonly",
      this.persistent ? "yes" : "no",
      "--appendfsync",
      this.persistent ? "always" : "everysec",
      "--dir",
      dir,
      "--logfile",
      join(dir, "redis.log"),
      "--daemonize",
      "no",
    ];
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    process.removeListener("exit", this.#killOnExit);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.ref();
    const exited = onceExited(child);
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  #logTail(): string {
    try {
      const log = readFileSync(join(this.#dir ?? "", "redis.log"), "utf8");
      return log.trim().split("\n").slice(-10).join("\n");
    } catch {
      return "(no log written)";
    }
  }
}

function onceExited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode);
  }
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** Returns the absolute path of an executable found on PATH, or undefined. */
function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Asks the operating system for a free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until a PING on `port` is answered with PONG, or throws after `timeoutMs`. */
async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingOnce(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = "";
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) finish(reply.startsWith("+PONG"));
    });
  });
}
