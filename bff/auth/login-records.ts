import type { Database } from "../../db/index.js";
import { cleanText } from "../text.js";

export type LoginMethod = "password" | "totp" | "temporary" | "certificate" | "sso" | "api";
export type LoginAction = "login" | "logout";
export type LoginResult =
  "success" | "wrong_password" | "unknown_user" | "locked" | "disabled" | "inactive" | "invalid_input";

export interface LoginRecordInput {
  accountId: number | null;
  username: string;
  method: LoginMethod;
  action: LoginAction;
  result: LoginResult;
  ip: string;
  userAgent: string;
  at: Date;
}

/** Every attempt is recorded, including hostile input, cleaned so the insert cannot fail. */
export async function recordLogin(db: Database, r: LoginRecordInput): Promise<void> {
  await db
    .insertInto("login_records")
    .values({
      account_id: r.accountId,
      username: cleanText(r.username, 64),
      method: r.method,
      action: r.action,
      result: r.result,
      ip: cleanText(r.ip, 64),
      user_agent: cleanText(r.userAgent, 400),
      at: r.at,
    })
    .execute();
}
