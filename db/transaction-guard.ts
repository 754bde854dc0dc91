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
  return new GuardedKysely({ dialect: new GuardedDialect({ pool }, opts.strict) });
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
        console.error(
          JSON.stringify({ t: new Date().toISOString(), level: "error", msg: err.message, stack: err.stack }),
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
