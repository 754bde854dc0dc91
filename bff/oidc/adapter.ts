import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { Clock } from "../ports/clock.js";
import { clientMetadata } from "./clients.js";

type Payload = Record<string, unknown> & {
  grantId?: string;
  userCode?: string;
  uid?: string;
  consumed?: unknown;
};

/**
 * oidc-provider's storage over Kysely: one row per model and id in oidc_payloads. Clients
 * come from oidc_clients (registered by admins), never from this table.
 */
export function kyselyAdapterFactory(db: Database, clock: Clock) {
  return class KyselyAdapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const expiresAt = expiresIn ? new Date(clock.now().getTime() + expiresIn * 1000) : null;
      const row = {
        id,
        model: this.model,
        payload: JSON.stringify(payload),
        grant_id: typeof payload.grantId === "string" ? payload.grantId : null,
        user_code: typeof payload.userCode === "string" ? payload.userCode : null,
        uid: typeof payload.uid === "string" ? payload.uid : null,
        expires_at: expiresAt,
      };
      await db
        .insertInto("oidc_payloads")
        .values(row)
        .onConflict((oc) =>
          oc.columns(["model", "id"]).doUpdateSet({
            payload: row.payload,
            grant_id: row.grant_id,
            user_code: row.user_code,
            uid: row.uid,
            expires_at: row.expires_at,
          }),
        )
        .execute();
    }

    private async findWhere(column: "id" | "uid" | "user_code", value: string): Promise<Payload | undefined> {
      if (this.model === "Client") return column === "id" ? clientMetadata(db, value) : undefined;
      if (typeof value !== "string" || value.length > 500) return undefined;
      const row = await db
        .selectFrom("oidc_payloads")
        .select(["payload", "consumed_at", "expires_at"])
        .where("model", "=", this.model)
        .where(column, "=", value)
        .executeTakeFirst();
      if (!row) return undefined;
      if (row.expires_at && row.expires_at.getTime() <= clock.now().getTime()) return undefined;
      const payload = row.payload as Payload;
      return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload;
    }

    find(id: string) {
      return this.findWhere("id", id);
    }

    findByUid(uid: string) {
      return this.findWhere("uid", uid);
    }

    findByUserCode(userCode: string) {
      return this.findWhere("user_code", userCode);
    }

    async consume(id: string): Promise<void> {
      await db
        .updateTable("oidc_payloads")
        .set({ consumed_at: clock.now() })
        .where("model", "=", this.model)
        .where("id", "=", id)
        .execute();
    }

    async destroy(id: string): Promise<void> {
      await db.deleteFrom("oidc_payloads").where("model", "=", this.model).where("id", "=", id).execute();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.deleteFrom("oidc_payloads").where("grant_id", "=", grantId).execute();
    }
  };
}

/** The stored grant of an account for a system, so consent is remembered across sign-ins. */
export async function findGrantId(db: Database, accountId: string, clientId: string, now: Date) {
  const row = await db
    .selectFrom("oidc_payloads")
    .select("id")
    .where("model", "=", "Grant")
    .where(sql<string>`payload->>'accountId'`, "=", accountId)
    .where(sql<string>`payload->>'clientId'`, "=", clientId)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .orderBy("expires_at", "desc")
    .executeTakeFirst();
  return row?.id;
}

/** Deletes expired rows; the hourly housekeeping may call it. */
export async function purgeExpiredPayloads(db: Database, now: Date): Promise<number> {
  const res = await db.deleteFrom("oidc_payloads").where("expires_at", "<=", now).executeTakeFirst();
  return Number(res.numDeletedRows);
}
