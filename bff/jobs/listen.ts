import type pg from "pg";
import { DEFAULT_TIMEOUTS, GuardedClient } from "../../db/pool-options.js";
import { JOBS_CHANNEL } from "./queue.js";
import type { JobListener, Logger } from "./worker.js";

export interface ListenOptions {
  /** Bound on opening the connection (DATABASE_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  /** Pause before the next attempt after the connection was lost or could not be opened. */
  retryMs?: number;
  /**
   * How often the idle connection is asked `SELECT 1`. A LISTEN connection only reads, so a
   * stalled network would otherwise leave it waiting for notifications that never come.
   */
  pingMs?: number;
}

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries). It is
 * exempt from the statement bounds (it waits for notifications by design) but not from the
 * connect bound. Whenever the connection is lost, cannot be opened or stops answering its
 * ping, it is reopened after `retryMs`, for as long as the worker runs; meanwhile polling
 * still finds the work, and each reconnect wakes the worker once for what it missed.
 */
export function pgJobListener(
  connectionString: string,
  logger: Logger,
  opts: ListenOptions = { connectTimeoutMs: DEFAULT_TIMEOUTS.connectMs },
): JobListener {
  const retryMs = opts.retryMs ?? 2000;
  const pingMs = opts.pingMs ?? 15_000;
  return async (onNotify) => {
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    let ping: NodeJS.Timeout | undefined;

    const dropped = new WeakSet<pg.Client>();
    const drop = (c: pg.Client, why: string, err: unknown) => {
      if (dropped.has(c)) return;
      dropped.add(c);
      if (client === c) client = undefined;
      clearInterval(ping);
      c.removeAllListeners("notification");
      void c.end().catch(() => undefined);
      if (stopped) return;
      logger.error(why, { error: err instanceof Error ? err.message : String(err) });
      // One pending attempt at a time, however many errors a dying connection reports.
      if (!retry) {
        retry = setTimeout(() => {
          retry = undefined;
          void connect();
        }, retryMs);
      }
    };

    const connect = async () => {
      if (stopped) return;
      // GuardedClient drops a connection whose query went unanswered (its "error" then reconnects).
      const c = new GuardedClient({
        connectionString,
        connectionTimeoutMillis: opts.connectTimeoutMs,
        // The ping and LISTEN itself answer at once from a live server.
        query_timeout: opts.connectTimeoutMs,
        keepAlive: true,
      });
      // The payload names the lane that got work (bff/jobs/queue.ts); empty wakes every lane.
      c.on("notification", (msg) => onNotify(msg.payload || undefined));
      c.on("error", (err) => drop(c, "job listener connection lost; reconnecting", err));
      try {
        await c.connect();
        await c.query(`LISTEN ${JOBS_CHANNEL}`);
      } catch (err) {
        drop(c, "job listener could not connect; retrying", err);
        return;
      }
      if (stopped) {
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      ping = setInterval(() => {
        c.query("SELECT 1").catch((err: unknown) => drop(c, "job listener stopped answering; reconnecting", err));
      }, pingMs);
      ping.unref();
      // Jobs committed while no connection listened were announced to nobody.
      onNotify();
    };

    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      await client?.end().catch(() => undefined);
    };
  };
}
