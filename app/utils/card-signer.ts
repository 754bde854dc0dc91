/**
 * The browser side of IDN-4: asks the local signing component (HiPKI 跨平台網頁元件, which
 * listens on the user's own computer) to sign a challenge with the citizen card. The PIN
 * goes only to that component, never to the portal. Its API: POST /sign with a form field
 * `tbsPackage` holding JSON; the answer is JSON with `ret_code` (0 = success), `signature`
 * (base64) and `certb64` (the signing certificate, base64 DER). A component that does not
 * answer this origin directly is reached through its /popupForm page instead.
 */

export type CardSignResult =
  | { ok: true; signature: string; certificate: string }
  | { ok: false; reason: "not_running" | "blocked" | "failed"; message: string };

/**
 * How this browser reaches the component: `direct` (it answers our origin with CORS),
 * `popup` (it runs but does not answer us: go through its own /popupForm page, which talks
 * to it from its own origin and to us by postMessage), or `absent`.
 */
export type SignerMode = "direct" | "popup" | "absent";

export const NOT_RUNNING = "請先安裝並啟動跨平台網頁元件，並確認讀卡機已連接、自然人憑證已插入，再重新操作。";
const BLOCKED = "瀏覽器封鎖了跨平台網頁元件的視窗，請允許本網站開啟彈出式視窗後再試。";
const CLOSED = "跨平台網頁元件的視窗已關閉，未完成簽章，請重新操作。";
const TIMEOUT_MS = 60_000;

export async function detectSigner(signerUrl: string): Promise<SignerMode> {
  const probe = `${trimSlash(signerUrl)}/pkcs11info`;
  try {
    await (await fetch(probe, { cache: "no-store" })).text();
    return "direct";
  } catch {
    // Not readable: either nothing listens, or the component does not answer our origin.
  }
  try {
    await fetch(probe, { mode: "no-cors", cache: "no-store" });
    return "popup";
  } catch {
    return "absent";
  }
}

/** The component's own page, opened in the click itself (a later open would be blocked). */
export function openSignerPopup(signerUrl: string): Window | null {
  return window.open(`${trimSlash(signerUrl)}/popupForm`, "card-signer", "width=480,height=360");
}

/** The request the component signs: RSA PKCS#1 v1.5 over SHA-256 of the ASCII text, as the portal checks. */
function signPackage(tbs: string, pin: string): string {
  return JSON.stringify({
    func: "MakeSignature",
    signatureType: "PKCS1",
    tbs,
    tbsEncoding: "NONE",
    hashAlgorithm: "SHA256",
    withCardSN: "true",
    pin,
    nonce: "",
  });
}

/**
 * Signs `tbs` with the card. In `popup` mode `popup` is the window `openSignerPopup` opened
 * during the click; null there means the browser blocked it.
 */
export async function signWithCard(
  signerUrl: string,
  tbs: string,
  pin: string,
  mode: SignerMode = "direct",
  popup: Window | null = null,
): Promise<CardSignResult> {
  if (mode === "popup") {
    if (!popup) return { ok: false, reason: "blocked", message: BLOCKED };
    return signThroughPopup(signerUrl, popup, signPackage(tbs, pin));
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let body: unknown;
  try {
    // A form-encoded POST is a "simple" request: no CORS preflight the component may not answer.
    const res = await fetch(`${trimSlash(signerUrl)}/sign`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ tbsPackage: signPackage(tbs, pin) }).toString(),
      signal: controller.signal,
      cache: "no-store",
    });
    body = await res.json();
  } catch {
    return { ok: false, reason: "not_running", message: NOT_RUNNING };
  } finally {
    clearTimeout(timer);
  }
  return readAnswer(body);
}

/**
 * HiPKI's popupForm protocol: the popup says `{"func":"getTbs"}` when ready, we answer with
 * the package, it posts back the component's answer and closes itself. Only messages from
 * that window and the component's origin are read.
 */
function signThroughPopup(signerUrl: string, popup: Window, pkg: string): Promise<CardSignResult> {
  const origin = new URL(signerUrl).origin;
  return new Promise((resolve) => {
    let sent = false;
    const finish = (result: CardSignResult) => {
      window.removeEventListener("message", onMessage);
      clearInterval(watch);
      clearTimeout(timer);
      resolve(result);
    };
    const onMessage = (event: MessageEvent) => {
      if (event.origin !== origin || event.source !== popup || typeof event.data !== "string") return;
      if (!sent) {
        if (parse(event.data)?.func === "getTbs") {
          sent = true;
          popup.postMessage(pkg, origin);
        }
        return;
      }
      finish(readAnswer(parse(event.data)));
    };
    window.addEventListener("message", onMessage);
    const watch = setInterval(() => {
      if (popup.closed) finish({ ok: false, reason: "failed", message: CLOSED });
    }, 500);
    const timer = setTimeout(() => {
      popup.close();
      finish({ ok: false, reason: "not_running", message: NOT_RUNNING });
    }, TIMEOUT_MS);
  });
}

function parse(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
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
