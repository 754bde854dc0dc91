import { DomainError } from "../errors.js";
import { cleanText } from "../text.js";
import { parseTaipeiLocal } from "../time.js";

/** ACC-4 註銷原因. */
export const disableReasons = ["離職", "退休", "留職停薪", "其他"] as const;
export const REASON_TEXT_MAX = 200;

/** 註銷原因 as stored and shown: the picked reason, or 「其他：…」 with its text. */
export function parseDisableReason(input: { reason?: unknown; reasonText?: unknown }): string {
  const picked = disableReasons.find((r) => r === input.reason);
  if (!picked) throw new DomainError("invalid", "請選擇註銷原因。", { reason: "請選擇註銷原因" });
  const raw = typeof input.reasonText === "string" ? input.reasonText : "";
  if (raw.length > REASON_TEXT_MAX)
    throw new DomainError("invalid", `說明不可超過 ${REASON_TEXT_MAX} 字。`, {
      reasonText: `說明不可超過 ${REASON_TEXT_MAX} 字`,
    });
  const text = cleanText(raw, REASON_TEXT_MAX).trim();
  if (picked === "其他" && text === "")
    throw new DomainError("invalid", "註銷原因為「其他」時，請填寫說明。", { reasonText: "請填寫說明" });
  return picked === "其他" ? `其他：${text}` : picked;
}

/** ACC-9 生效時間: null for 立即生效, else the 預約生效 instant (checked to be later than now). */
export function parseEffective(input: { effective?: unknown; executeAt?: unknown }, now: Date): Date | null {
  if (input.effective === undefined || input.effective === "" || input.effective === "now") return null;
  if (input.effective !== "scheduled")
    throw new DomainError("invalid", "請選擇生效時間。", { effective: "請選擇立即生效或預約生效" });
  const at = parseTaipeiLocal(input.executeAt);
  if (!at)
    throw new DomainError("invalid", "請填寫預約生效時間（年/月/日 時:分）。", { executeAt: "請填寫預約生效時間" });
  if (at.getTime() <= now.getTime())
    throw new DomainError("invalid", "預約生效時間必須晚於現在。", { executeAt: "請選擇未來的時間" });
  return at;
}
