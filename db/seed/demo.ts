import type { Database } from "../index.js";
import { DEMO_PASSWORD, demoAccounts, demoOrg, demoSites } from "./demo-data.js";

/**
 * Idempotent demo seed: rows are matched by code or name or username and never
 * overwritten, so a re-run leaves changes made through the app alone.
 */
export async function seedDemo(db: Database, hash: (password: string) => Promise<string>, now: Date) {
  const passwordHash = await hash(DEMO_PASSWORD);
  await db.transaction().execute(async (trx) => {
    const ids = new Map<string, number>();
    for (const node of demoOrg) {
      const parentId = node.parent ? ids.get(node.parent) : undefined;
      await trx
        .insertInto("org_nodes")
        .values({
          code: node.code,
          name: node.name,
          kind: node.kind,
          parent_id: parentId ?? null,
          mail_quota: node.kind === "agency" ? (node.mailQuota ?? 0) : null,
          sort: demoOrg.indexOf(node),
        })
        .onConflict((oc) => oc.column("code").doNothing())
        .execute();
      const row = await trx
        .selectFrom("org_nodes")
        .select("id")
        .where("code", "=", node.code)
        .executeTakeFirstOrThrow();
      ids.set(node.code, row.id);
    }
    for (const [i, site] of demoSites.entries()) {
      await trx
        .insertInto("sites")
        .values({ ...site, sort: i })
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
    }
    for (const a of demoAccounts) {
      const changedAt = new Date(now.getTime() - (a.passwordAgeDays ?? 0) * 86_400_000);
      await trx
        .insertInto("accounts")
        .values({
          username: a.username,
          name: a.name,
          title: a.title,
          unit_id: ids.get(a.unit)!,
          role: a.role,
          status: "enabled",
          office_phone: a.phone,
          backup_email: `${a.username}@example.tainan.gov.tw`,
          needs_official_mail: true,
          password_hash: passwordHash,
          password_changed_at: changedAt,
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
        .onConflict((oc) => oc.column("username").doNothing())
        .execute();
    }
  });
}
