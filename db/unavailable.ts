/**
 * Whether an error means "PostgreSQL cannot be reached or did not answer in time" — an
 * outage the user can only wait out (503), as opposed to a bug (500). Issue 13 item 2.
 */

/** Socket errors from Node while connecting or talking to the server. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/** SQLSTATEs PostgreSQL answers when it is going away, not ready, or a statement ran out of time. */
const SQLSTATES = new Set([
  "57P01", // admin_shutdown: restart, failover, pg_terminate_backend
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or in recovery
  "57014", // query_canceled: statement_timeout — the database is stalled or overloaded
  "53300", // too_many_connections
  "25P03", // idle_in_transaction_session_timeout ended the session
]);

/** pg and pg-pool report these without a code. */
const DRIVER_MESSAGES = [
  "Connection terminated unexpectedly",
  "Connection terminated due to connection timeout",
  "timeout exceeded when trying to connect",
  "timeout expired",
  "Query read timeout",
  "Client has encountered a connection error and is not queryable",
];

/**
 * A wrapped cause is not followed on purpose: fetch() reports a refused push or signer
 * connection as TypeError("fetch failed") with an ECONNREFUSED cause, which is not the database.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    if (SOCKET_CODES.has(code) || SQLSTATES.has(code)) return true;
    // Class 08: connection exceptions.
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return typeof message === "string" && DRIVER_MESSAGES.some((m) => message.startsWith(m));
}
