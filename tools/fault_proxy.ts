/**
 * A small TCP proxy that can cut a client's connection on demand, for fault injection in the
 * local Upstash endpoint (`tools/upstash_local.ts`).
 *
 * Neither `Deno.serve` nor `Bun.serve` lets a request handler close or reset the TCP connection
 * it is answering on. With fault injection on, the endpoint's HTTP server therefore listens on an
 * internal port and this proxy takes the public one. Each client connection gets its own
 * upstream connection, so the handler can name a client connection by the upstream socket's
 * local port (which the HTTP server sees as the request's remote port) and have it closed (FIN)
 * or reset (RST) before a response reaches the client. It uses `node:net` only, so it works
 * under Deno and Bun; it binds 127.0.0.1 unless told otherwise.
 *
 * @module
 */

import { createConnection, createServer, type Server, type Socket } from "node:net";

/** How a client connection is cut. */
export type CutMode = "close" | "reset";

/** A running proxy, as returned by {@linkcode startFaultProxy}. */
export interface FaultProxy {
  /** The public port clients connect to. */
  readonly port: number;
  /**
   * Cuts the client connection whose upstream socket has local port `upstreamPort` (the
   * request's remote port as the HTTP server sees it). Nothing more reaches that client.
   * Returns false when no such connection is open.
   */
  cut(upstreamPort: number, mode: CutMode): boolean;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/** Options for {@linkcode startFaultProxy}. */
export interface FaultProxyOptions {
  /** The interface to listen on. @default "127.0.0.1" */
  hostname?: string;
  /** The public port; 0 picks a free one. @default 0 */
  port?: number;
  /** Where to forward to: the HTTP server's port on 127.0.0.1. */
  targetPort: number;
  /** The host of the HTTP server. @default "127.0.0.1" */
  targetHost?: string;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

/** Starts the proxy and resolves once it listens. */
export function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const pairs = new Map<number, Pair>();
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    socket.on("error", () => {}); // a cut or a client gone away: both ends are torn down below
  };

  const server: Server = createServer((client) => {
    track(client);
    client.setNoDelay(true);
    const upstream = createConnection({
      host: options.targetHost ?? "127.0.0.1",
      port: options.targetPort,
    });
    track(upstream);
    upstream.setNoDelay(true);
    let key: number | undefined;
    upstream.once("connect", () => {
      key = upstream.localPort;
      if (key !== undefined) pairs.set(key, { client, upstream });
    });
    const teardown = () => {
      if (key !== undefined && pairs.get(key)?.client === client) pairs.delete(key);
      client.destroy();
      upstream.destroy();
    };
    client.once("close", teardown);
    upstream.once("close", teardown);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.hostname ?? "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({
        port,
        cut(upstreamPort, mode) {
          const pair = pairs.get(upstreamPort);
          if (pair === undefined) return false;
          pairs.delete(upstreamPort);
          pair.upstream.unpipe(pair.client);
          if (mode === "reset") pair.client.resetAndDestroy();
          else pair.client.destroy();
          pair.upstream.destroy();
          return true;
        },
        close() {
          for (const socket of open) socket.destroy();
          return new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
  });
}
