import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import { writeAudit } from "../../bff/audit.js";
import { enqueue } from "../../bff/jobs/queue.js";
import type { JobContext } from "../../bff/jobs/worker.js";
import { runScheduledChange } from "../../bff/scheduled/runner.js";
import { lockAgenciesOf } from "../../bff/accounts/status.js";
import { lockShared } from "../../bff/shared-accounts/changes.js";
import { administered } from "../../bff/shared-accounts/scope.js";
import type { Database, Tx } from "../../db/index.js";

/**
 * Row locks and "commits with the caller's change" only mean something inside a
 * transaction. Functions that need one take `Tx`: these calls with the plain pool must not
 * compile (`npm run typecheck` covers tests/). Never called: type checks only.
 */
export function typeChecks(db: Database, trx: Tx, actor: Actor) {
  const now = new Date();
  const scope = administered(actor);
  const audit = { action: "x", targetType: "x", targetId: 1 };
  return [
    // @ts-expect-error the scheduled-change runner locks the change's row
    runScheduledChange(db, {}, 1, now),
    // @ts-expect-error the only-admin check locks the agencies
    lockAgenciesOf(db, [1]),
    // @ts-expect-error a shared account is locked for the rest of the transaction
    lockShared(db, scope, 1),
    // @ts-expect-error a job exists only if the change that caused it commits
    enqueue(db, { kind: "x", runAt: now }),
    // @ts-expect-error an audit row commits with its change
    writeAudit(db, actor, now, audit),
    // The same calls on a transaction compile, so the errors above are about `db` alone.
    runScheduledChange(trx, {}, 1, now),
    lockAgenciesOf(trx, [1]),
    lockShared(trx, scope, 1),
    enqueue(trx, { kind: "x", runAt: now }),
    writeAudit(trx, actor, now, audit),
    // A transaction is a Database: readers take either.
    ((reader: Database) => reader)(trx),
  ];
}

// A job handler runs in the job's claim transaction.
export const jobDbIsTx = (ctx: JobContext): Tx => ctx.db;

const LOCK_METHODS = new Set(["forUpdate", "forShare", "forNoKeyUpdate", "forKeyShare", "skipLocked", "noWait"]);
/** A quick look first: only files that may lock are parsed. */
const MAY_LOCK =
  /\.(forUpdate|forShare|forNoKeyUpdate|forKeyShare|skipLocked|noWait)\(|pg_advisory_xact_lock|\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE)\b/i;
const LOCK_SQL = /pg_advisory_xact_lock|\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE)\b/i;

/** The identifier a query chain starts from: `trx` in `trx.selectFrom(…).forUpdate()`. */
function chainRoot(node: ts.Expression): ts.Identifier | undefined {
  let n: ts.Node = node;
  for (;;) {
    if (ts.isIdentifier(n)) return n;
    if (ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n)) n = n.expression;
    else if (ts.isCallExpression(n)) n = n.expression;
    else if (ts.isNonNullExpression(n) || ts.isParenthesizedExpression(n) || ts.isAwaitExpression(n)) n = n.expression;
    else if (ts.isAsExpression(n)) n = n.expression;
    else return undefined;
  }
}

function bindsName(name: ts.BindingName, id: string): boolean {
  if (ts.isIdentifier(name)) return name.text === id;
  return name.elements.some((e) => !ts.isOmittedExpression(e) && bindsName(e.name, id));
}

/**
 * Is this identifier, where it is used, a transaction? A parameter typed `Tx` (or
 * Transaction<…>) is; one typed `Database` is not; an unannotated parameter gets its type
 * from a contract (`transaction().execute(async (trx) => …)`, a job handler's context, a
 * scheduled executor), all of which are `Tx`. A local made from another value (`untyped(trx)`)
 * is what that value is. Anything else — the pool from `deps` — is not.
 */
function isTransaction(id: ts.Identifier, sf: ts.SourceFile, depth = 0): boolean {
  if (depth > 5) return false;
  for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
    if (ts.isFunctionLike(n)) {
      const p = n.parameters.find((param) => bindsName(param.name, id.text));
      if (p) {
        if (!p.type) return true;
        return /^(Tx|Transaction<.*>)(\s*\|\s*undefined)?$/.test(p.type.getText(sf));
      }
    }
    if (ts.isBlock(n) || ts.isSourceFile(n)) {
      for (const st of n.statements) {
        if (!ts.isVariableStatement(st)) continue;
        for (const d of st.declarationList.declarations) {
          if (!bindsName(d.name, id.text)) continue;
          if (!ts.isIdentifier(d.name) || !d.initializer) return false;
          const init = d.initializer;
          const from = ts.isCallExpression(init) && init.arguments[0] ? init.arguments[0] : init;
          const root = chainRoot(from);
          return root !== undefined && isTransaction(root, sf, depth + 1);
        }
      }
    }
  }
  return false;
}

/** Every row lock in this source whose query does not run on a transaction: "file:line". */
export function locksOutsideTransactions(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const check = (at: ts.Node, on: ts.Expression | undefined) => {
    const root = on && chainRoot(on);
    if (!root || !isTransaction(root, sf)) {
      found.push(`${fileName}:${sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1}`);
    }
  };
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      LOCK_METHODS.has(node.expression.name.text)
    )
      check(node, node.expression.expression);
    // sql`… pg_advisory_xact_lock …`.execute(trx)
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === "execute" &&
      ts.isTaggedTemplateExpression(node.expression.expression) &&
      LOCK_SQL.test(node.expression.expression.template.getText(sf))
    )
      check(node, node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return [...new Set(found)];
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((e) => {
    const full = path.join(e.parentPath, e.name);
    return e.isFile() && e.name.endsWith(".ts") && !full.includes(`${path.sep}migrations${path.sep}`) ? [full] : [];
  });
}

describe("row locks run inside a transaction", () => {
  it("every lock in bff/ and db/ is taken on a transaction (a `Tx`), never the pool", () => {
    const files = [...sources("bff"), ...sources("db")];
    expect(files.length).toBeGreaterThan(50);
    const bad = files.flatMap((f) => {
      const text = fs.readFileSync(f, "utf8");
      return MAY_LOCK.test(text) ? locksOutsideTransactions(f, text) : [];
    });
    expect(bad).toEqual([]);
  });

  it("the check itself tells a lock on the pool from one on a transaction", () => {
    const code = `
      export async function onPool(db: Database) {
        await db.selectFrom("jobs").selectAll().forUpdate().execute();
      }
      export async function onTx(trx: Tx) {
        await trx.selectFrom("jobs").selectAll().forUpdate().skipLocked().execute();
        await sql\`SELECT pg_advisory_xact_lock(1)\`.execute(trx);
      }
      export function service(deps: { db: Database }) {
        const { db } = deps;
        return {
          viaDeps: () => db.selectFrom("jobs").selectAll().forUpdate().execute(),
          inside: () => db.transaction().execute(async (trx) => {
            const t = untyped(trx);
            await t.selectFrom("jobs").selectAll().forUpdate().execute();
          }),
          advisory: () => sql\`SELECT pg_advisory_xact_lock(2)\`.execute(db),
        };
      }`;
    expect(locksOutsideTransactions("x.ts", code)).toEqual(["x.ts:3", "x.ts:12", "x.ts:17"]);
  });
});

/** `db.transaction()` called bare (the start of a Kysely transaction), with its file:line. */
const BARE_TRANSACTION = /\.\s*transaction\(\s*\)/g;

function bareTransactions(file: string, text: string): string[] {
  return [...text.matchAll(BARE_TRANSACTION)].map((m) => `${file}:${text.slice(0, m.index).split("\n").length}`);
}

describe("transactions re-run what PostgreSQL asks to re-run (issue 13 item 6)", () => {
  it("every transaction in bff/ starts through inTransaction, never a bare db.transaction()", () => {
    // db/transaction.ts is the helper itself; seeds and tests run alone.
    const files = sources("bff").filter((f) => !f.endsWith(".test.ts"));
    expect(files.length).toBeGreaterThan(50);
    const bad = files.flatMap((f) => bareTransactions(f, fs.readFileSync(f, "utf8")));
    expect(bad).toEqual([]);
  });

  it("the check finds a bare transaction, also split over lines", () => {
    const code = "await inTransaction(db, run);\nawait db\n  .transaction()\n  .execute(run);\nx.transaction(opts);";
    expect(bareTransactions("x.ts", code)).toEqual(["x.ts:3"]);
  });
});
