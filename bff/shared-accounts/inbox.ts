import type { Database, Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { notFound } from "../errors.js";
import type { ReviewSource } from "../reviews/inbox.js";
import { sharedTypeText } from "./labels.js";
import { administered, isAdmin } from "./scope.js";

/**
 * ACC-15 in the approvals inbox (審核): unreviewed shared-account applications of the
 * admin's agency (every agency for a system admin), decided at once like the review page.
 */
export function sharedReviewSource(deps: {
  db: Database;
  review: (actor: Actor, input: { ids: unknown; decision: unknown; note?: unknown }, trx?: Tx) => Promise<unknown>;
}): ReviewSource {
  const { db } = deps;
  const pendingQuery = (actor: Actor, on: Database = db) =>
    on
      .selectFrom("shared_accounts as sa")
      .innerJoin("accounts as c", "c.id", "sa.custodian_account_id")
      .where(administered(actor))
      .where("sa.review_status", "=", "pending");
  return {
    kind: "shared_account",
    label: "機關及郵件系統帳號",
    async pending(actor, limit) {
      if (!isAdmin(actor)) return [];
      const rows = await pendingQuery(actor)
        .select([
          "sa.id",
          "sa.type",
          "sa.username",
          "sa.name",
          "sa.purpose",
          "sa.created_at",
          "c.name as custodianName",
        ])
        .orderBy("sa.created_at", "desc")
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        kind: "shared_account",
        id: r.id,
        kindLabel: `${sharedTypeText[r.type]}申請`,
        title: `${r.name}（${r.username}）`,
        summary: `保管人：${r.custodianName}`,
        reason: r.purpose,
        submittedAt: r.created_at,
        href: "/admin/shared-account-reviews",
      }));
    },
    async count(actor, on) {
      if (!isAdmin(actor)) return 0;
      const r = await pendingQuery(actor, on)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async decide(actor, id, input, trx) {
      await deps.review(actor, { ids: [String(id)], decision: input.decision, note: input.comment }, trx);
      return { status: input.decision === "approve" ? "approved" : "rejected" };
    },
    async describe(actor, id) {
      const r = await db
        .selectFrom("shared_accounts as sa")
        .innerJoin("accounts as c", "c.id", "sa.custodian_account_id")
        .select(["sa.name", "sa.username", "c.name as custodianName"])
        .where("sa.id", "=", id)
        .where(administered(actor))
        .executeTakeFirst();
      if (!r) throw notFound();
      return { title: `${r.name}（${r.username}）`, who: r.custodianName };
    },
  };
}
