import { AsyncLocalStorage } from "node:async_hooks";
import { Kysely, PostgresDialect, type Driver, type Transaction, type TransactionBuilder } from "kysely";
import type pg from "pg";
import type { DB } from "./schema.js";

/**
 * Code inside `db.transaction().execute(cb)` must use the transaction's handle. A query on the
 * pool (`db`) from there asks for a second connection while the first is held: on the embedded
 * database there is only one connection, so that request waits for ever and so does every
 * other request after it. On PostgreSQL it takes a second connection, which cannot see the
 * transaction's writes, and ten such requests at once exhaust the pool.
 *
 * The callback of every transaction runs inside this store; the driver refuses to hand a pool
 * connection to code running in an open transaction's callback. A task started there that runs
 * on after the commit (a timer, a shared cache refill) finds `open` false and is let through.
 */
const inTransaction = new AsyncLocalStorage<{ open: boolean }>();

export class PoolUsedInTransactionError extends Error {
  constructor() {
    super(
      "a query on the pool (db) ran inside a transaction's callback: use the transaction's handle " +
        "(trx), or run it before or after the transaction. On the embedded database it would wait for ever.",
    );
    this.name = "PoolUsedInTransactionError";
  }
}

/** Guarded: see above. `strict` false logs the misuse instead of refusing it. */
export function createDatabase(pool: pg.Pool, opts: { strict: boolean }): Kysely<DB> {
  const db = new GuardedKysely({ dialect: new GuardedDialect({ pool }, opts.strict) });
  pools.set(db, pool);
  return db;
}

/** Each database handle's pg Pool, for the pool gauges (bff/metrics, ADR 0029). */
const pools = new WeakMap<Kysely<DB>, pg.Pool>();

export interface PoolStats {
  /** Connections open (in use or idle). */
  total: number;
  idle: number;
  /** Queries waiting for a connection: the pool is exhausted while this is above 0. */
  waiting: number;
  max: number;
}

/** The pool behind a handle made by createDatabase, read from the pool's own counters (no query). */
export function poolStats(db: Kysely<DB>): PoolStats | undefined {
  const pool = pools.get(db);
  if (!pool) return undefined;
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 };
}

class GuardedDialect extends PostgresDialect {
  readonly #strict: boolean;
  constructor(config: ConstructorParameters<typeof PostgresDialect>[0], strict: boolean) {
    super(config);
    this.#strict = strict;
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = () => {
      if (inTransaction.getStore()?.open) {
        const err = new PoolUsedInTransactionError();
        if (this.#strict) return Promise.reject(err);
        // Straight to stderr as a JSON line (ADR 0029): console.error is routed through the
        // logger in the servers, which would wrap this line in another.
        process.stderr.write(
          `${JSON.stringify({ t: new Date().toISOString(), level: "error", msg: err.message, stack: err.stack })}\n`,
        );
      }
      return acquire();
    };
    return driver;
  }
}

class GuardedKysely extends Kysely<DB> {
  override transaction(): TransactionBuilder<DB> {
    return guardBuilder(super.transaction());
  }
}

/** The same builder, with the callback run inside the store (the setters keep the guard). */
function guardBuilder(builder: TransactionBuilder<DB>): TransactionBuilder<DB> {
  return new Proxy(builder, {
    get(target, prop) {
      if (prop === "execute") {
        return <T>(callback: (trx: Transaction<DB>) => Promise<T>) => target.execute((trx) => runOpen(callback, trx));
      }
      if (prop === "setAccessMode" || prop === "setIsolationLevel") {
        return (arg: never) => guardBuilder(target[prop](arg));
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function runOpen<T>(callback: (trx: Transaction<DB>) => Promise<T>, trx: Transaction<DB>): Promise<T> {
  const scope = { open: true };
  try {
    return await inTransaction.run(scope, () => callback(trx));
  } finally {
    scope.open = false;
  }
}
