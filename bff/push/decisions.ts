import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import type { BookingsService } from "../bookings/service.js";
import { DEFAULT_REJECT_COMMENT } from "../bookings/service.js";
import { isDomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { tokenHash } from "./tokens.js";

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
 * request, and expires. At use, the reviewer's account and custody are checked again by
 * the same decide() a signed-in custodian uses, so nothing here bypasses a rule.
 */
export function createPushDecisions(deps: { db: Database; clock: Clock; bookings: BookingsService }) {
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
    // Claim the token atomically: a second press, on any device or server, finds it used.
    const claimed = await db
      .updateTable("decision_tokens")
      .set({ used_at: now })
      .where("id", "=", tokenHash(token))
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .returning(["kind", "target_id", "reviewer_id"])
      .executeTakeFirst();
    if (!claimed) {
      const row = await db
        .selectFrom("decision_tokens")
        .select(["used_at", "expires_at"])
        .where("id", "=", tokenHash(token))
        .executeTakeFirst();
      if (!row) return refuse("審核連結無效，請開啟申請頁面審核。");
      if (row.used_at) return refuse("此通知的審核按鈕已使用過，請開啟申請頁面查看結果。");
      return refuse("審核連結已過期，請開啟申請頁面審核。");
    }
    const url = `/reviews?focus=${claimed.target_id}`;
    if (input.targetId !== undefined && String(input.targetId) !== String(claimed.target_id)) {
      return refuse("審核連結與申請不符，請開啟申請頁面審核。", url);
    }
    const reviewer = await reviewerActor(claimed.reviewer_id);
    if (!reviewer) return refuse("您的帳號目前無法審核，請聯絡機關管理者。", url);
    try {
      const result = await deps.bookings.decide(reviewer, claimed.target_id, {
        decision,
        comment: decision === "reject" ? DEFAULT_REJECT_COMMENT : undefined,
      });
      const summary = await deps.bookings.heldBooking(reviewer, result.id);
      const verb = result.status === "approved" ? "已核准" : "已駁回";
      return {
        ok: true,
        title: `${verb}：${summary.itemName}`,
        body: `${summary.applicantName} 的借用申請${verb}。${decision === "reject" ? "可至申請頁面修改審核說明。" : ""}`,
        url,
      };
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
