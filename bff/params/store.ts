import type { Database } from "../../db/index.js";
import type { Clock } from "../ports/clock.js";
import { checkValue, isParamKey, paramDefaults, paramRegistry, type ParamKey, type ParamValues } from "./registry.js";

/** How services read system parameters: typed, by key (`await params.get("lockout_threshold")`). */
export interface ParamReader {
  get<K extends ParamKey>(key: K): Promise<ParamValues[K]>;
  all(): Promise<ParamValues>;
}

/**
 * The values in force, from the table's rows: a key the registry does not know is ignored,
 * and a value that fails its definition (a wrong type or out of range, written by hand in
 * SQL) is replaced by the default, so a service always gets a value it can use.
 */
export function valuesFromRows(rows: readonly { key: string; value: unknown }[]): ParamValues {
  const values: Record<string, unknown> = paramDefaults();
  for (const row of rows) {
    if (!isParamKey(row.key)) continue;
    const checked = checkValue(paramRegistry[row.key], row.value);
    if (checked.ok) values[row.key] = checked.value;
  }
  return values as ParamValues;
}

/** Every parameter, read now (no cache): for jobs and tests that must see the table as it is. */
export async function readParams(db: Database): Promise<ParamValues> {
  return valuesFromRows(await db.selectFrom("system_params").select(["key", "value"]).execute());
}

/** One parameter, read now (no cache). */
export async function readParam<K extends ParamKey>(db: Database, key: K): Promise<ParamValues[K]> {
  const rows = await db.selectFrom("system_params").select(["key", "value"]).where("key", "=", key).execute();
  return valuesFromRows(rows)[key];
}

/** A reader without a cache, for services built outside the container (benchmarks, tools). */
export function directParams(db: Database): ParamReader {
  return { get: (key) => readParam(db, key), all: () => readParams(db) };
}

/**
 * The app server's copy of the parameters (ADR 19): the whole set is read at most once per
 * `ttlMs`, so a change made on any app server is in force on every other one within
 * `ttlMs` (plus one read) without a restart, and the sign-in path costs no extra query.
 * The server that makes a change calls `invalidate()` and follows at once.
 *
 * Age is measured from the moment a read *started*, on the injected clock (tests move it),
 * so a read that raced a commit is never kept for longer than the bound. A clock that went
 * backwards counts as expired. Concurrent callers share one read.
 */
export function cachedParams(opts: {
  load: () => Promise<ParamValues>;
  clock: Clock;
  ttlMs: number;
}): ParamReader & { invalidate(): void } {
  let cached: { values: ParamValues; startedAt: number } | null = null;
  let inflight: Promise<ParamValues> | null = null;
  let generation = 0;

  const fresh = (now: number) =>
    cached !== null && now >= cached.startedAt && now - cached.startedAt < opts.ttlMs ? cached.values : null;

  function all(): Promise<ParamValues> {
    const now = opts.clock.now().getTime();
    const hit = fresh(now);
    if (hit) return Promise.resolve(hit);
    if (inflight) return inflight;
    const mine = generation;
    const read = opts.load().then(
      (values) => {
        // An invalidate() while this read was on its way makes its result suspect: not kept.
        if (mine === generation) cached = { values, startedAt: now };
        if (inflight === read) inflight = null;
        return values;
      },
      (error: unknown) => {
        if (inflight === read) inflight = null;
        throw error;
      },
    );
    inflight = read;
    return read;
  }

  return {
    all,
    get: async (key) => (await all())[key],
    invalidate() {
      generation++;
      cached = null;
      inflight = null;
    },
  };
}
