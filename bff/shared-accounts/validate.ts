import type { SharedAccountType } from "../../db/schema/shared-accounts.js";
import { DomainError } from "../errors.js";
import { textField } from "../legacy-form.js";
import { SHARED_TYPES } from "./labels.js";

/** Valid as an AD sAMAccountName, like personal accounts, and at least 3 characters. */
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,19}$/;

export interface ApplyInput {
  type?: unknown;
  username?: unknown;
  name?: unknown;
  purpose?: unknown;
}

export interface ValidApply {
  type: SharedAccountType;
  username: string;
  name: string;
  purpose: string;
}

/** 機關及資訊系統帳號申請: every field checked at once, in zh-TW. */
export function validateApply(input: ApplyInput): ValidApply {
  const fields: Record<string, string> = {};
  const type = SHARED_TYPES.find((t) => t === input.type);
  if (!type) fields.type = "請選擇帳號類型";
  const rawUser = typeof input.username === "string" ? input.username.trim().toLowerCase() : "";
  if (rawUser === "") fields.username = "請填寫希望使用的帳號";
  else if (!USERNAME.test(rawUser))
    fields.username = "帳號須為 3 到 20 個小寫英文字母、數字或 . _ -，並以英文字母或數字開頭";
  const name = textField(fields, "name", input.name, { label: "帳號名稱", max: 50, required: true });
  const purpose = textField(fields, "purpose", input.purpose, {
    label: "用途說明",
    max: 500,
    required: true,
    multiline: true,
  });
  if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
  return { type: type!, username: rawUser, name: name!, purpose: purpose! };
}

/** A reason (異動原因 / 停用原因): required, at most 200 characters. */
export function reasonField(raw: unknown, label: string): string {
  const fields: Record<string, string> = {};
  const reason = textField(fields, "reason", raw, { label, max: 200, required: true, multiline: true });
  if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
  return reason!;
}
