import pg from "pg";
import { JOBS_CHANNEL } from "./queue.js";
import type { JobListener, Logger } from "./worker.js";

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries). If the
 * connection drops, polling still finds the work; the listener reconnects after a pause.
 */
export function pgJobListener(connectionString: string, logger: Logger): JobListener {
  return async (onNotify) => {
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async () => {
      const c = new pg.Client({ connectionString });
      c.on("notification", () => onNotify());
      c.on("error", (err) => {
        logger.error("job listener connection lost", { error: err.message });
        client = undefined;
        if (!stopped) retry = setTimeout(() => void connect().catch(() => undefined), 5000);
      });
      await c.connect();
      await c.query(`LISTEN ${JOBS_CHANNEL}`);
      client = c;
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end();
    };
  };
}
