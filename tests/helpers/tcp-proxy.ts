import net from "node:net";

/**
 * A TCP proxy on a loopback port in front of another (PostgreSQL), so a test can break the
 * network between the app and its database without touching the shared server:
 * - cut(): every connection is closed and new ones are refused (a restart, a failover);
 * - stall(): connections stay open and new ones are accepted, but nothing is forwarded in
 *   either direction (a hung server or a black-holed route);
 * - restore(): back to forwarding. Bytes held during a stall are then delivered, as TCP
 *   would once a route comes back.
 */
export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  stall(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
  /** Connections open through the proxy right now. */
  readonly open: number;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Held while stalled: [toUpstream, toClient]. */
  held: [Buffer[], Buffer[]];
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;
  let server: net.Server | undefined;
  let port = 0;

  const forward = (from: net.Socket, to: net.Socket, held: Buffer[]) => {
    from.on("data", (chunk) => {
      if (stalled) held.push(chunk);
      else to.write(chunk);
    });
  };

  const accept = (client: net.Socket) => {
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, held: [[], []] };
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    forward(client, upstream, pair.held[0]);
    forward(upstream, client, pair.held[1]);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(accept);
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stopListening = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  const destroyAll = () => {
    for (const p of pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    pairs.clear();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    get open() {
      return pairs.size;
    },
    async cut() {
      stalled = false;
      // Closing the listener first: a connection attempt during the cut is refused (ECONNREFUSED).
      const closed = stopListening();
      destroyAll();
      await closed;
    },
    stall() {
      stalled = true;
    },
    async restore() {
      if (stalled) {
        stalled = false;
        for (const p of pairs) {
          for (const chunk of p.held[0].splice(0)) p.upstream.write(chunk);
          for (const chunk of p.held[1].splice(0)) p.client.write(chunk);
        }
      }
      if (!server) await listen();
    },
    async close() {
      const closed = stopListening();
      destroyAll();
      await closed;
    },
  };
}
