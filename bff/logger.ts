import { format } from "node:util";
import type { Logger } from "./jobs/worker.js";

/**
 * One JSON line per event (ADR 0029): info on stdout, warn and error on stderr, so a log
 * shipper never has to guess where a plain-text line ends. Values that JSON cannot carry
 * (an Error, a bigint) are turned into what an operator needs: an error's name, message and
 * stack — the stack stays in the log, never on a page.
 */
export function consoleLogger(quiet = false): Logger {
  return {
    info: (msg, extra) => {
      if (!quiet) process.stdout.write(logLine("info", msg, extra));
    },
    warn: (msg, extra) => process.stderr.write(logLine("warn", msg, extra)),
    error: (msg, extra) => process.stderr.write(logLine("error", msg, extra)),
  };
}

export function logLine(level: string, msg: string, extra?: Record<string, unknown>): string {
  return `${JSON.stringify({ t: new Date().toISOString(), level, msg, ...extra }, jsonSafe)}\n`;
}

/** What a log field holds when it is an Error: its name, message and stack (and a cause's message). */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: String(err) };
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return { error: err.message, errorName: err.name, stack: err.stack, ...(cause ? { cause } : {}) };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) return errorFields(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * Libraries that print on their own (Node's process warnings, oidc-provider's notices,
 * anything calling console.warn/console.error) go through the logger too, so stderr holds
 * JSON only. Called once by each process entry point (server.ts, worker-main.ts), never by
 * tests: it changes the process's console.
 */
export function routeProcessOutput(logger: Logger): void {
  // Node's own printer of process warnings is a 'warning' listener installed at startup.
  process.removeAllListeners("warning");
  process.on("warning", (w) => logger.warn(w.message, { warning: w.name, stack: w.stack }));
  console.warn = (...args: unknown[]) => logger.warn(format(...args), { source: "console" });
  console.error = (...args: unknown[]) => {
    const err = args.find((a): a is Error => a instanceof Error);
    logger.error(format(...args), { source: "console", ...(err ? { stack: err.stack } : {}) });
  };
}
