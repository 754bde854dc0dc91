import type { Logger } from "./jobs/worker.js";

/** One JSON line per event on stdout/stderr: easy to ship, easy to grep. */
export function consoleLogger(quiet = false): Logger {
  const line = (level: string, msg: string, extra?: Record<string, unknown>) =>
    JSON.stringify({ t: new Date().toISOString(), level, msg, ...extra });
  return {
    info: (msg, extra) => {
      if (!quiet) console.log(line("info", msg, extra));
    },
    error: (msg, extra) => console.error(line("error", msg, extra)),
  };
}
