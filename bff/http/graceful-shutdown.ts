/**
 * Draining an HTTP server at shutdown without cutting a request the server already received
 * (ADR 0022). Node's own `server.close()` is not enough: it destroys every connection its
 * parser sees as idle at that instant, and a keep-alive connection whose next request is
 * still in the kernel's receive buffer (sent before the signal, not yet read) looks idle, so
 * its client gets ECONNRESET. Connections still in the listen backlog are reset the same way.
 */
import type { Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface DrainResult {
  /** Connections still open at the deadline (a request unanswered or still arriving), then destroyed. */
  cut: number;
  /** Connections open when the drain began. */
  connections: number;
}

export interface HttpDrain {
  /** True from the start of `drain()`: every response from then on carries `Connection: close`. */
  readonly draining: boolean;
  /**
   * Stops accepting connections, answers every request already received, then resolves once
   * every connection is closed — or at `deadline` (a `Date.now()` value), after destroying
   * what is left.
   */
  drain(deadline: number): Promise<DrainResult>;
}

/**
 * Turns without a new connection that end the backlog wait. More than one: the first
 * setImmediate after the signal handler runs before the next poll phase, not after it.
 */
const QUIET_TURNS = 3;

/** Call on the server before it listens: it must see every connection from the first. */
export function drainable(server: Server): HttpDrain {
  const sockets = new Set<Socket>();
  /** Responses not yet finished, per connection. */
  const inFlight = new Map<Socket, Set<ServerResponse>>();
  let draining = false;

  let accepted = 0;
  server.on("connection", (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      inFlight.delete(socket);
    });
  });

  server.on("request", (req, res: ServerResponse) => {
    const socket = req.socket;
    let open = inFlight.get(socket);
    if (!open) inFlight.set(socket, (open = new Set()));
    open.add(res);
    if (draining) lastOnConnection(res);
    res.once("close", () => {
      open.delete(res);
      if (open.size > 0) return;
      inFlight.delete(socket);
      // A response whose headers went out before the drain promised keep-alive; Node would
      // keep the connection open for the next request, so end it once this one is flushed.
      if (draining && !socket.destroyed) socket.end();
    });
  });

  /** Idle sockets: no response in progress and nothing received since the last one. */
  const closeQuiet = () => {
    // Node's list: keep-alive connections whose parser has not begun a new request.
    server.closeIdleConnections();
    // Connections that have not sent a byte (a browser's preconnect): Node counts them as
    // busy (its headers timer runs from the connect), which would hold the drain to the deadline.
    for (const socket of sockets) {
      if (socket.bytesRead === 0 && !inFlight.has(socket)) socket.destroy();
    }
  };

  return {
    get draining() {
      return draining;
    },
    async drain(deadline) {
      const connections = sockets.size;
      draining = true;
      for (const open of inFlight.values()) for (const res of open) lastOnConnection(res);
      // Still listening: the connections the kernel completed before the signal wait in the
      // listen backlog, and closing the listener would reset them. Node accepts about one per
      // event-loop turn (and a turn lasts as long as the JavaScript run in it, long under
      // load), so turns pass until some in a row accept nothing.
      // Connections still arriving (a load balancer that has not noticed) keep it open up to
      // the deadline; they are answered with `Connection: close` like the rest.
      let seen = accepted;
      let quietTurns = 0;
      while (quietTurns < QUIET_TURNS && Date.now() < deadline) {
        await nextTurn();
        quietTurns = accepted === seen ? quietTurns + 1 : 0;
        seen = accepted;
      }
      // Stops listening; Node also destroys the keep-alive connections that are idle now
      // (what had arrived on them before the signal has been read in the turns above).
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A connection's first read comes the turn after its accept.
      await nextTurn();
      await nextTurn();
      closeQuiet();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<"expired">((resolve) => {
        timer = setTimeout(() => resolve("expired"), Math.max(0, deadline - Date.now()));
      });
      const outcome = await Promise.race([closed.then(() => "closed" as const), expired]);
      clearTimeout(timer);
      if (outcome === "closed") return { cut: 0, connections };
      const cut = sockets.size;
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
      return { cut, connections };
    },
  };
}

/** The client must open a new connection (to another server) for its next request. */
function lastOnConnection(res: ServerResponse) {
  if (!res.headersSent) res.setHeader("Connection", "close");
}

/** One event-loop turn, poll phase included (accepts, reads). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
