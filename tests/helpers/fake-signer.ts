/**
 * Stands in for the HiPKI local signing component (跨平台網頁元件) the sign-in page calls on
 * the user's computer: POST /sign with a form field `tbsPackage` (JSON) signs with the
 * inserted card when the PIN is right; GET /pkcs11info answers that it is there; GET
 * /popupForm is its page for the popup protocol. It answers CORS only for the origins in
 * `trustedOrigins` (a live list), so a test can send the page down either path.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { signWithCard, type TestCard } from "./test-pki.js";

/** Answer codes this fake uses besides 0 (the real component has its own table). */
export const FAKE_CODES = { wrongPin: 0x76000006, badRequest: 0x76000001, noCard: 0x76000002 } as const;

/**
 * The component's own page for sites it does not answer directly: it says it is ready
 * (`{"func":"getTbs"}`) to its opener, takes one package by postMessage, signs through
 * /sign from its own origin, posts the answer back and closes.
 */
const POPUP_FORM = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>fake popupForm</title></head><body>
<p>簽章中…</p>
<script>
window.addEventListener("message", async (event) => {
  if (event.source !== window.opener) return;
  const res = await fetch("/sign", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "tbsPackage=" + encodeURIComponent(event.data),
  });
  event.source.postMessage(await res.text(), event.origin);
  window.close();
});
window.opener.postMessage(JSON.stringify({ func: "getTbs" }), "*");
</script></body></html>`;

export interface FakeSigner {
  url: string;
  /** Every /sign request as the fake received it (PIN included), for assertions. */
  requests: Record<string, unknown>[];
  insert(card: TestCard | null, pin: string): void;
  close(): Promise<void>;
}

export async function startFakeSigner(opts: { trustedOrigins: string[] }): Promise<FakeSigner> {
  let card: TestCard | null = null;
  let pin = "";
  const requests: Record<string, unknown>[] = [];

  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && opts.trustedOrigins.includes(origin)) res.setHeader("Access-Control-Allow-Origin", origin);
    const send = (body: Record<string, unknown>) => {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method === "GET" && url.pathname === "/pkcs11info") {
      return send({ func: "pkcs11info", ret_code: 0, last_error: 0, slots: card ? [{ token: {} }] : [] });
    }
    if (req.method === "GET" && url.pathname === "/popupForm") {
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      return res.end(POPUP_FORM);
    }
    if (req.method !== "POST" || url.pathname !== "/sign") {
      res.statusCode = 404;
      return res.end();
    }
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (raw += chunk));
    req.on("end", () => {
      void answerSign(raw).then(send);
    });
  });

  async function answerSign(raw: string): Promise<Record<string, unknown>> {
    let pkg: Record<string, unknown>;
    try {
      pkg = JSON.parse(new URLSearchParams(raw).get("tbsPackage") ?? "") as Record<string, unknown>;
    } catch {
      return { func: "sign", ret_code: FAKE_CODES.badRequest, last_error: 0 };
    }
    requests.push(pkg);
    const wellFormed =
      pkg.func === "MakeSignature" &&
      pkg.signatureType === "PKCS1" &&
      pkg.hashAlgorithm === "SHA256" &&
      pkg.tbsEncoding === "NONE" &&
      typeof pkg.tbs === "string";
    if (!wellFormed) return { func: "sign", ret_code: FAKE_CODES.badRequest, last_error: 0 };
    if (!card) return { func: "sign", ret_code: FAKE_CODES.noCard, last_error: 0 };
    if (pkg.pin !== pin) return { func: "sign", ret_code: FAKE_CODES.wrongPin, last_error: 0 };
    return {
      func: "sign",
      ret_code: 0,
      last_error: 0,
      signature: await signWithCard(card, pkg.tbs as string),
      certb64: card.certB64,
      cardSN: card.cardNo,
    };
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    insert(c, p) {
      card = c;
      pin = p;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
