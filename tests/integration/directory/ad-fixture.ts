import { sql } from "kysely";
import type { Container } from "../../../bff/container.js";
import type { AccountUpdate } from "../../../db/schema.js";
import { skipReason } from "../../helpers/env.js";
import { makeAccount, makeAgency, makeUnit } from "../../helpers/factory.js";

/** An AD test's portal side: agencies with codes the OU map names, and account changes as the use cases make them. */
export async function agencyWithUnit(c: Container, code: string, unitName = `單位${code}`) {
  const agency = await makeAgency(c);
  await c.db.updateTable("org_nodes").set({ code }).where("id", "=", agency.id).execute();
  const unit = await makeUnit(c, agency.id, unitName);
  return { agency, unit };
}

/** Creates an account and enqueues its AD sync in the same transaction, like account creation does. */
export async function newAccount(c: Container, unitId: number, username: string, name = "陳美玲") {
  const a = await makeAccount(c, { unitId, username, name });
  await c.db.transaction().execute((trx) => c.directory.accountChanged(trx, { accountId: a.id, at: c.clock.now() }));
  return a;
}

/** Changes an account and enqueues its AD sync in the same transaction. */
export async function changeAccount(c: Container, accountId: number, set: AccountUpdate) {
  await c.db.transaction().execute(async (trx) => {
    await trx.updateTable("accounts").set(set).where("id", "=", accountId).execute();
    await c.directory.accountChanged(trx, { accountId, at: c.clock.now() });
  });
}

export async function setPassword(c: Container, accountId: number, password: string) {
  await c.db.transaction().execute((trx) => c.directory.passwordSet(trx, { accountId, password, at: c.clock.now() }));
}

export async function lastJob(c: Container, kind: string, accountId: number) {
  return c.db
    .selectFrom("jobs")
    .selectAll()
    .where("kind", "=", kind)
    .where(sql<string>`payload->>'accountId'`, "=", String(accountId))
    .orderBy("id", "desc")
    .executeTakeFirstOrThrow();
}

/** One AD user's attributes as a plain object (first values), or undefined. */
export async function adUser(admin: import("ldapts").Client, base: string, username: string) {
  const { searchEntries } = await admin.search(base, {
    scope: "sub",
    filter: `(sAMAccountName=${username})`,
    attributes: [
      "cn",
      "sAMAccountName",
      "userPrincipalName",
      "displayName",
      "sn",
      "givenName",
      "mail",
      "title",
      "department",
      "telephoneNumber",
      "userAccountControl",
      "adminDescription",
      "uSNChanged",
    ],
  });
  const e = searchEntries[0];
  if (!e) return undefined;
  const out: Record<string, string> = { dn: e.dn };
  for (const [k, v] of Object.entries(e)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (k !== "dn" && value !== undefined) out[k] = String(value);
  }
  return out;
}

/** Why the AD suites cannot run here (skip, or fail under REQUIRE_ALL), or undefined. */
export function adSkip(inject: (k: "sambaTemplate" | "sambaMissing") => string): string | undefined {
  const missing = inject("sambaMissing") || (inject("sambaTemplate") ? undefined : "no Samba template this run");
  return skipReason(missing);
}
