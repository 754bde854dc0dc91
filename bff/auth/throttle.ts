import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import { cleanText } from "../text.js";

/**
 * How one kind of key slows down (ADR 0025): the first `free` failures cost nothing; from
 * then on failure n makes the next attempt wait 2^(n − free) seconds, at most `capSeconds`.
 * A key with no failure for `forgetSeconds` starts again from zero.
 */
export interface ThrottlePolicy {
  free: number;
  capSeconds: number;
  forgetSeconds: number;
}

const HOUR = 3600;
const DAY = 86_400;

/**
 * The kinds of key. A client address gets room for an office behind one NAT mistyping;
 * a username (known or not, so the answer never says which) gets as many as the lockout
 * threshold (passed in); a known device and a relying party's view of one username their own.
 */
export const THROTTLE_POLICIES = {
  ip: { free: 20, capSeconds: 15 * 60, forgetSeconds: HOUR },
  user: { free: 5, capSeconds: 15 * 60, forgetSeconds: DAY },
  temp: { free: 5, capSeconds: 15 * 60, forgetSeconds: DAY },
  device: { free: 5, capSeconds: 15 * 60, forgetSeconds: DAY },
  rp: { free: 5, capSeconds: 15 * 60, forgetSeconds: DAY },
  shared: { free: 5, capSeconds: 15 * 60, forgetSeconds: DAY },
} satisfies Record<string, ThrottlePolicy>;

export type ThrottleKind = keyof typeof THROTTLE_POLICIES;

export interface ThrottleKey {
  kind: ThrottleKind;
  value: string;
  /** Overrides the kind's free failures (the username key follows the lockout threshold). */
  free?: number;
}

/** Hostile input (NUL, lone surrogates) cannot be stored as text; it is throttled by its cleaned form. */
const keyText = (k: ThrottleKey) => cleanText(`${k.kind}:${k.value}`, 200);

/**
 * Sign-in throttling kept in PostgreSQL (`signin_throttle`), so every app server and the
 * embedded database count the same failures. Reading is one indexed select, done before
 * any password hash: a throttled attempt costs the server almost nothing.
 */
export function createThrottle(db: Database) {
  /** Seconds the caller must still wait (0: go ahead): the longest wait among the keys. */
  async function waitSeconds(keys: ThrottleKey[], now: Date): Promise<number> {
    if (keys.length === 0) return 0;
    const row = await db
      .selectFrom("signin_throttle")
      .select((eb) => eb.fn.max("blocked_until").as("until"))
      .where("key", "in", keys.map(keyText))
      .where("blocked_until", ">", now)
      .executeTakeFirst();
    const until = row?.until ? new Date(row.until).getTime() : 0;
    return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
  }

  /**
   * Counts one failure against each key, each in a single atomic statement (concurrent
   * failures all count), and sets the key's wait. Returns the new counts, in order.
   */
  async function fail(keys: ThrottleKey[], now: Date): Promise<number[]> {
    const counts: number[] = [];
    for (const k of keys) counts.push(await failOne(k, now));
    return counts;
  }

  async function failOne(k: ThrottleKey, now: Date): Promise<number> {
    const policy: ThrottlePolicy = THROTTLE_POLICIES[k.kind];
    const free = k.free ?? policy.free;
    const forgotten = new Date(now.getTime() - policy.forgetSeconds * 1000);
    // The new count, written once and reused below (SET cannot read its own new value).
    const next = sql<number>`(CASE WHEN signin_throttle.last_failure_at < ${forgotten} THEN 1 ELSE signin_throttle.failures + 1 END)`;
    const wait = (n: ReturnType<typeof sql<number>>) =>
      sql<Date | null>`CASE WHEN ${n} >= ${free}
        THEN ${now}::timestamptz + make_interval(secs => LEAST(${policy.capSeconds}, power(2, LEAST(${n} - ${free}, 30))))
        ELSE NULL END`;
    const row = await db
      .insertInto("signin_throttle")
      .values({ key: keyText(k), failures: 1, last_failure_at: now, blocked_until: wait(sql<number>`1`) })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({ failures: next, last_failure_at: now, blocked_until: wait(next) }),
      )
      .returning("failures")
      .executeTakeFirstOrThrow();
    return row.failures;
  }

  /** A proof of who it is (right password, temporary password, e-mailed code) forgets the keys' failures. */
  async function clear(keys: ThrottleKey[]): Promise<void> {
    if (keys.length === 0) return;
    await db.deleteFrom("signin_throttle").where("key", "in", keys.map(keyText)).execute();
  }

  return { waitSeconds, fail, clear };
}

export type Throttle = ReturnType<typeof createThrottle>;

/** Rows nobody will read again: no failure for longer than any policy remembers. */
export async function purgeThrottle(db: Database, now: Date): Promise<number> {
  const r = await db
    .deleteFrom("signin_throttle")
    .where("last_failure_at", "<", new Date(now.getTime() - 2 * DAY * 1000))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * A proof of the owner or an admin's unlock lifts the username's throttle with the lock
 * (both the password and the temporary-password keys); the client addresses keep theirs.
 */
export async function clearUsernameThrottle(db: Database, username: string, kind: "user" | "shared" = "user") {
  const keys = kind === "user" ? [`user:${username}`, `temp:${username}`] : [`shared:${username}`];
  await db.deleteFrom("signin_throttle").where("key", "in", keys).execute();
}
