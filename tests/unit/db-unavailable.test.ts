import { describe, expect, it } from "vitest";
import { DEFAULT_TIMEOUTS, poolTimeoutOptions, timeoutsFor } from "../../db/pool-options.js";
import { isDatabaseUnavailable } from "../../db/unavailable.js";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable (issue 13 item 2)", () => {
  it("recognises an unreachable, stalled or departing database", () => {
    for (const e of [
      withCode("ECONNREFUSED"),
      withCode("ECONNRESET"),
      withCode("57P01", "terminating connection due to administrator command"),
      withCode("57P03", "the database system is starting up"),
      withCode("57014", "canceling statement due to statement timeout"),
      withCode("08006"),
      withCode("25P03"),
      new Error("Connection terminated unexpectedly"),
      new Error("Connection terminated due to connection timeout"),
      new Error("timeout exceeded when trying to connect"),
      new Error("Query read timeout"),
      new Error("Client has encountered a connection error and is not queryable"),
    ]) {
      expect(isDatabaseUnavailable(e), e.message).toBe(true);
    }
  });

  it("leaves bugs, refusals and other systems' outages alone", () => {
    for (const e of [
      withCode("23505", "duplicate key value"),
      withCode("23P01", "conflicting key value violates exclusion constraint"),
      withCode("40P01", "deadlock detected"),
      withCode("42P01", 'relation "x" does not exist'),
      new TypeError("Cannot read properties of undefined"),
      // fetch() to a push service or the card signer that refuses: not the database.
      new TypeError("fetch failed", { cause: withCode("ECONNREFUSED") }),
      null,
      "ECONNREFUSED",
    ]) {
      expect(isDatabaseUnavailable(e)).toBe(false);
    }
  });
});

describe("timeouts per purpose", () => {
  it("bounds requests and exempts the migrator and bulk seeding from the statement bounds only", () => {
    const configured = { connectMs: 1000, statementMs: 1500, idleInTransactionMs: 9000 };
    expect(timeoutsFor("requests", configured)).toEqual(configured);
    for (const purpose of ["migrate", "seed"] as const) {
      expect(timeoutsFor(purpose, configured)).toEqual({ connectMs: 1000, statementMs: 0, idleInTransactionMs: 0 });
    }
    expect(timeoutsFor("requests")).toEqual(DEFAULT_TIMEOUTS);
  });

  it("gives the client a read bound just above the server's, and none when exempt", () => {
    const bounded = poolTimeoutOptions({ connectMs: 1000, statementMs: 1500, idleInTransactionMs: 9000 });
    expect(bounded).toMatchObject({
      connectionTimeoutMillis: 1000,
      statement_timeout: 1500,
      idle_in_transaction_session_timeout: 9000,
    });
    expect(bounded.query_timeout).toBeGreaterThan(1500);
    const exempt = poolTimeoutOptions(timeoutsFor("migrate"));
    expect(exempt.statement_timeout).toBeUndefined();
    expect(exempt.query_timeout).toBeUndefined();
    expect(exempt.idle_in_transaction_session_timeout).toBeUndefined();
    expect(exempt.connectionTimeoutMillis).toBe(DEFAULT_TIMEOUTS.connectMs);
  });
});
