import { z } from "zod";
import { field, type FormInput, whenValid } from "../validation.js";

export const REASON_MAX = 200;

/**
 * 保管人設定 / 管理人員設定 (items, repair types, accounts' slots): which slot, who (blank
 * empties slot 2) and why. `holder` names the duty in the messages (保管人, 管理人 …).
 */
export const custodianChange = (holder: string) =>
  z
    .object({
      slot: z.preprocess(
        (v) => (typeof v === "number" ? String(v) : v),
        z.enum(["1", "2"], { error: `請選擇要設置的${holder}` }).transform(Number),
      ),
      accountId: field.optionalId(`請選擇新${holder}`),
      reason: field.text("異動原因", REASON_MAX, { multiline: true }),
    })
    .refine((v) => !(v.slot === 1 && v.accountId === null), {
      path: ["accountId"],
      error: `${holder} 1 為必填，只能移轉給他人，不可移除`,
      when: whenValid("slot", "accountId"),
    });

export type CustodianChangeInput = FormInput<ReturnType<typeof custodianChange>>;
