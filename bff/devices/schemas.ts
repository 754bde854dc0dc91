import { z } from "zod";

/** 登入裝置與授權's forms (ADR 0033): which session, which system. */
export const endSessionSchema = z.object({
  session: z
    .string({ error: "請選擇要結束的登入裝置" })
    .regex(/^[A-Za-z0-9_-]{16}$/, { error: "請選擇要結束的登入裝置" }),
});

export const revokeConsentSchema = z.object({
  clientId: z
    .string({ error: "請選擇要撤銷授權的系統" })
    .trim()
    .min(1, { error: "請選擇要撤銷授權的系統" })
    .max(100, { error: "請選擇要撤銷授權的系統" }),
});
