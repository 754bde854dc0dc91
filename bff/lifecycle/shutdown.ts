/**
 * SIGTERM and SIGINT end the app server and `npm run worker` in order, within
 * SHUTDOWN_GRACE_MS (ADR 0022): the caller's `stop` gets the deadline and does its steps
 * (HTTP drain, worker, database); the process then exits 0. Something that hangs past the
 * grace period (a database that never answers) ends the process with 1, so the supervisor
 * sees that the stop was not clean.
 */
import type { Logger } from "../jobs/worker.js";

/** After the grace period, what the last resort allows for logging and exit bookkeeping. */
const HARD_STOP_MARGIN_MS = 1000;

export interface StopOnSignalsOptions {
  graceMs: number;
  logger: Logger;
  /** Stops everything by `deadline` (a `Date.now()` value). */
  stop(deadline: number): Promise<void>;
  /** process.exit, replaced in tests. */
  exit?: (code: number) => void;
}

/** Installs the handlers; the first signal starts the stop, later ones are only logged. */
export function stopOnSignals(opts: StopOnSignalsOptions): void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches node twice (from the terminal to the whole process group, and forwarded
    // by npm): a second signal must not turn a clean stop into an abrupt one.
    if (stopping) {
      opts.logger.info("already shutting down", { signal });
      return;
    }
    stopping = true;
    const started = Date.now();
    const deadline = started + opts.graceMs;
    opts.logger.info("shutting down", { signal, graceMs: opts.graceMs });
    const hard = setTimeout(() => {
      opts.logger.error("shutdown did not finish within the grace period; exiting", { graceMs: opts.graceMs });
      exit(1);
    }, opts.graceMs + HARD_STOP_MARGIN_MS);
    hard.unref();
    opts.stop(deadline).then(
      () => {
        clearTimeout(hard);
        opts.logger.info("stopped", { ms: Date.now() - started });
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(hard);
        opts.logger.error("shutdown failed", { error: err instanceof Error ? err.message : String(err) });
        exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/**
 * What the HTTP drain may use of the grace period: the rest is kept for closing the
 * database after it (20 %, at most 2 s).
 */
export function httpDeadline(deadline: number, graceMs: number): number {
  return deadline - Math.min(2000, Math.floor(graceMs / 5));
}
