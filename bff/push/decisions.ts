import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { DEFAULT_REJECT_COMMENT } from "../bookings/service.js";
import { isDomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Inbox } from "../reviews/inbox.js";
import { tokenHash } from "./tokens.js";
import { inTransaction } from "../../db/transaction.js";

export interface DecisionResult {
  ok: boolean;
  title: string;
  body: string;
  /** Where a tap on the result goes. */
  url: string;
}

/**
 * BKG-5: 核准/駁回 pressed on a notification. The token alone authorises it (the service
 * worker has no session cookie to send); it is single use, bound to one reviewer and one
 * request, and expires. The decision goes through the approvals inbox's source for the
 * token's kind — the same rules a signed-in reviewer meets, custody and account status
 * checked again — and the token is claimed in the decision's own transaction, so a refusal
 * changes nothing and leaves the token as it was.
 */
export function createPushDecisions(deps: { db: Database; clock: Clock; inbox: Inbox }) {
  const { db, clock } = deps;
  const refuse = (body: string, url = "/reviews"): DecisionResult => ({ ok: false, title: "無法完成審核", body, url });

  return async function decideFromNotification(input: {
    token?: unknown;
    decision?: unknown;
    targetId?: unknown;
  }): Promise<DecisionResult> {
    const token = typeof input.token === "string" && /^[A-Za-z0-9_-]{20,100}$/.test(input.token) ? input.token : null;
    const decision = input.decision === "approve" || input.decision === "reject" ? input.decision : null;
    if (!token || !decision) return refuse("審核連結無效，請開啟申請頁面審核。");
    const now = clock.now();
    const row = await db
      .selectFrom("decision_tokens")
      .selectAll()
      .where("id", "=", tokenHash(token))
      .executeTakeFirst();
    if (!row) return refuse("審核連結無效，請開啟申請頁面審核。");
    if (row.used_at) return refuse("此通知的審核按鈕已使用過，請開啟申請頁面查看結果。");
    if (row.expires_at <= now) return refuse("審核連結已過期，請開啟申請頁面審核。");
    const url = `/reviews?focus=${row.target_id}`;
    if (input.targetId !== undefined && String(input.targetId) !== String(row.target_id)) {
      return refuse("審核連結與申請不符，請開啟申請頁面審核。", url);
    }
    const source = deps.inbox.source(row.kind);
    const reviewer = await reviewerActor(row.reviewer_id);
    if (!source) return refuse("審核連結無效，請開啟申請頁面審核。", url);
    if (!reviewer) return refuse("您的帳號目前無法審核，請聯絡機關管理者。", url);
    try {
      const result = await inTransaction(db, async (trx) => {
        const claimed = await trx
          .updateTable("decision_tokens")
          .set({ used_at: now })
          .where("id", "=", row.id)
          .where("used_at", "is", null)
          .returning("id")
          .executeTakeFirst();
        if (!claimed) return null; // pressed twice at once: the other press decides
        const comment = decision === "reject" ? DEFAULT_REJECT_COMMENT : undefined;
        return source.decide(reviewer, row.target_id, { decision, comment }, trx);
      });
      if (!result) return refuse("此通知的審核按鈕已使用過，請開啟申請頁面查看結果。", url);
      const what = await source.describe(reviewer, row.target_id);
      const verb = result.status === "approved" ? "已核准" : "已駁回";
      const note = decision === "reject" ? "可至申請頁面修改審核說明。" : "";
      return { ok: true, title: `${verb}：${what.title}`, body: `${what.who} 的申請${verb}。${note}`, url };
    } catch (e) {
      if (!isDomainError(e)) throw e;
      if (e.code === "not_found") return refuse("您已不是此物品的保管人，或申請已不存在。");
      return refuse(e.message, url);
    }
  };

  /** The reviewer as an actor, only while their account is enabled. */
  async function reviewerActor(accountId: number): Promise<Actor | null> {
    const row = await db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.id", "a.username", "a.name", "a.role", "a.unit_id", "u.agency_id"])
      .where("a.id", "=", accountId)
      .where("a.status", "=", "enabled")
      .executeTakeFirst();
    if (!row) return null;
    return {
      accountId: row.id,
      username: row.username,
      name: row.name,
      role: row.role,
      agencyId: row.agency_id,
      unitId: row.unit_id,
      sessionId: "push-decision",
      ip: "",
    };
  }
}

export type PushDecisions = ReturnType<typeof createPushDecisions>;
