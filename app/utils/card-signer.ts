/**
 * The browser side of IDN-4: asks the local signing component (HiPKI 跨平台網頁元件, which
 * listens on the user's own computer) to sign a challenge with the citizen card. The PIN
 * goes only to that component, never to the portal. Its API: POST /sign with a form field
 * `tbsPackage` holding JSON; the answer is JSON with `ret_code` (0 = success), `signature`
 * (base64) and `certb64` (the signing certificate, base64 DER).
 */

export type CardSignResult =
  | { ok: true; signature: string; certificate: string }
  | { ok: false; reason: "not_running" | "not_trusted" | "failed"; message: string };

export const NOT_RUNNING = "請先安裝並啟動跨平台網頁元件，並確認讀卡機已連接、自然人憑證已插入，再重新操作。";
const NOT_TRUSTED = "已偵測到跨平台網頁元件，但它拒絕了本網站的連線。請在元件中將本網站加入信任網站後再試。";
const TIMEOUT_MS = 60_000;

/** Whether anything answers at the component's address (an opaque answer is enough). */
export async function componentRunning(signerUrl: string): Promise<boolean> {
  try {
    await fetch(`${trimSlash(signerUrl)}/pkcs11info`, { mode: "no-cors", cache: "no-store" });
    return true;
  } catch {
    return false;
  }
}

/** Signs `tbs` (ASCII text) with the card: RSA PKCS#1 v1.5 over its SHA-256, as the portal checks. */
export async function signWithCard(signerUrl: string, tbs: string, pin: string): Promise<CardSignResult> {
  const tbsPackage = JSON.stringify({
    func: "MakeSignature",
    signatureType: "PKCS1",
    tbs,
    tbsEncoding: "NONE",
    hashAlgorithm: "SHA256",
    withCardSN: "true",
    pin,
    nonce: "",
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let body: unknown;
  try {
    // A form-encoded POST is a "simple" request: no CORS preflight the component may not answer.
    const res = await fetch(`${trimSlash(signerUrl)}/sign`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ tbsPackage }).toString(),
      signal: controller.signal,
      cache: "no-store",
    });
    body = await res.json();
  } catch {
    // Fetch fails alike when nothing listens and when the component refuses our origin (CORS).
    const running = await componentRunning(signerUrl);
    return running
      ? { ok: false, reason: "not_trusted", message: NOT_TRUSTED }
      : { ok: false, reason: "not_running", message: NOT_RUNNING };
  } finally {
    clearTimeout(timer);
  }
  return readAnswer(body);
}

function readAnswer(body: unknown): CardSignResult {
  const answer = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const code = Number(answer.ret_code);
  if (code === 0 && typeof answer.signature === "string" && typeof answer.certb64 === "string") {
    return { ok: true, signature: answer.signature, certificate: answer.certb64 };
  }
  const shown = Number.isFinite(code) ? `0x${code.toString(16).toUpperCase()}` : "未知";
  return {
    ok: false,
    reason: "failed",
    message: `憑證卡簽章失敗（錯誤碼 ${shown}）。請確認讀卡機已連接、卡片已插入、PIN 碼正確後再試；PIN 碼連續輸入錯誤會鎖卡。`,
  };
}

const trimSlash = (url: string) => url.replace(/\/+$/, "");
