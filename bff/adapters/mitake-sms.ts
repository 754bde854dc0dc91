import { createHash } from "node:crypto";
import type { SmsGateway } from "../ports/mailer.js";

/**
 * NTF-3: SMS through Mitake (三竹簡訊) SmSend: one form POST per message with the account's
 * username and password, the number (dstaddr) and the text (smbody) in UTF-8 (CharsetURL=UTF-8
 * on the URL), and a clientid so a retried job is not sent twice (Mitake answers a repeated
 * clientid with the first answer and Duplicate=Y). The answer is `key=value` lines; statuscode
 * 0, 1, 2 or 4 means accepted, anything else is an error the job retries.
 */
export interface MitakeConfig {
  url: string;
  username: string;
  password: string;
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const ACCEPTED = new Set(["0", "1", "2", "4"]);

/** Mitake's documented status codes, for the job's error text (the admin sees why). */
const STATUS_TEXT: Record<string, string> = {
  "5": "內容有錯誤",
  "6": "門號有錯誤",
  "7": "簡訊已停用",
  "8": "逾時無送達",
  "9": "預約已取消",
  a: "簡訊發送功能暫時停止服務",
  b: "簡訊發送功能暫時停止服務",
  c: "請輸入帳號",
  d: "請輸入密碼",
  e: "帳號、密碼錯誤",
  f: "帳號已過期",
  h: "帳號已被停用",
  k: "無效的連線位址",
  l: "帳號已達到同時連線數上限",
  m: "必須變更密碼",
  n: "密碼已逾期",
  p: "沒有權限使用外部Http程式",
  r: "系統暫停服務",
  s: "帳務處理失敗",
  t: "簡訊已過期",
  u: "簡訊內容不得為空白",
  v: "無效的手機號碼",
  "*": "系統發生錯誤",
};

export class MitakeError extends Error {
  override readonly name = "MitakeError";
}

/** `[1]\r\nmsgid=…\r\nstatuscode=1\r\nAccountPoint=…` → a map of the key=value lines. */
export function parseMitakeAnswer(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of body.split(/\r?\n/)) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Mitake keeps a clientid of at most 36 characters: a stable digest of the job's key. */
export const mitakeClientId = (idempotencyKey: string) =>
  createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 32);

export function mitakeSms(config: MitakeConfig): SmsGateway {
  const doFetch = config.fetch ?? fetch;
  const url = new URL(config.url);
  url.searchParams.set("CharsetURL", "UTF-8");
  return {
    async send(msg, ctx) {
      const body = new URLSearchParams({
        username: config.username,
        password: config.password,
        dstaddr: msg.to,
        // Mitake's line break inside smbody is ASCII 6.
        smbody: msg.text.replace(/\r?\n/g, "\u0006"),
        clientid: mitakeClientId(ctx.idempotencyKey),
      });
      let res: Response;
      try {
        res = await doFetch(url, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
          body,
          signal: AbortSignal.timeout(config.timeoutMs ?? 15_000),
        });
      } catch (e) {
        // Never the URL's credentials or the text in the error: it lands on the job.
        throw new MitakeError(`Mitake unreachable: ${(e as Error).name}`);
      }
      const text = await res.text();
      if (!res.ok) throw new MitakeError(`Mitake HTTP ${res.status}`);
      const answer = parseMitakeAnswer(text);
      const status = answer.statuscode;
      if (status === undefined) throw new MitakeError("Mitake answer without statuscode");
      if (!ACCEPTED.has(status)) {
        throw new MitakeError(`Mitake statuscode=${status} ${STATUS_TEXT[status.toLowerCase()] ?? ""}`.trim());
      }
    },
  };
}
