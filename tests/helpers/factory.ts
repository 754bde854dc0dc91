import { randomBytes } from "node:crypto";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import type { AccountStatus, Role } from "../../db/schema.js";

/** Test data is made by the test: these build it with names no seed uses. */
export const TEST_PASSWORD = "Test#Passw0rd-2026";

const suffix = () => randomBytes(3).toString("hex");

export async function makeAgency(c: Container, name = `測試機關${suffix()}`, parentId: number | null = null) {
  return c.db
    .insertInto("org_nodes")
    .values({ kind: "agency", name, parent_id: parentId, code: null, mail_quota: 10 })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function makeUnit(c: Container, parentId: number, name = `測試單位${suffix()}`) {
  return c.db
    .insertInto("org_nodes")
    .values({ kind: "unit", name, parent_id: parentId, code: null, mail_quota: null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface MadeAccount {
  id: number;
  username: string;
  password: string;
  unitId: number;
  agencyId: number;
}

export async function makeAccount(
  c: Container,
  opts: {
    unitId: number;
    role?: Role;
    status?: AccountStatus;
    username?: string;
    name?: string;
    passwordChangedAt?: Date;
  },
): Promise<MadeAccount> {
  const username = opts.username ?? `t.${suffix()}`;
  const row = await c.db
    .insertInto("accounts")
    .values({
      username,
      name: opts.name ?? `測試${username}`,
      unit_id: opts.unitId,
      role: opts.role ?? "user",
      status: opts.status ?? "enabled",
      password_hash: await c.hasher.hash(TEST_PASSWORD),
      password_changed_at: opts.passwordChangedAt ?? c.clock.now(),
      backup_email: null,
      totp_secret_enc: null,
      totp_enabled_at: null,
      mobile: null,
      mobile_verified_at: null,
      citizen_card_no: null,
      status_reason: null,
      status_changed_at: null,
      locked_at: null,
      last_login_at: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const unit = await c.db
    .selectFrom("org_nodes")
    .select("agency_id")
    .where("id", "=", opts.unitId)
    .executeTakeFirstOrThrow();
  return { id: row.id, username, password: TEST_PASSWORD, unitId: opts.unitId, agencyId: unit.agency_id };
}

export const meta = { ip: "203.0.113.7", userAgent: "vitest" };

/** Signs in through the real service and returns the session's actor. */
export async function signInAs(c: Container, a: MadeAccount): Promise<{ actor: Actor; token: string }> {
  const { token } = await c.services.auth.signIn({ username: a.username, password: a.password }, meta);
  const actor = await c.services.auth.actorFromToken(token, meta);
  if (!actor) throw new Error("sign-in produced no actor");
  return { actor, token };
}
