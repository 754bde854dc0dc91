import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { CRL_JOB, queueCrlFetch, scheduleCrlRefresh } from "../../bff/certificates/crl-job.js";
import { revocationCheck } from "../../bff/certificates/revocation.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, meta } from "../helpers/factory.js";
import { crlServer, makeCrl, ocspResponder, type OcspVerdict } from "../helpers/test-crl.js";
import {
  makeCard,
  makeIssuingCa,
  makeRootCa,
  signWithCard,
  type TestCa,
  type TestCard,
  writeBundle,
} from "../helpers/test-pki.js";

/**
 * Issue 17 item 8 (ADR 0035): a CA made here revokes a card; its CRL is served on 127.0.0.1;
 * the job fetches, verifies and stores it; sign-in then decides from the stored list.
 */
const NOW = new Date("2026-11-30T01:00:00Z");
const HOUR = 3600_000;
const clock = fixedClock(NOW);
let c: Container;
let unitId: number;
let moica: TestCa;
/** A second CA of the bundle whose cards name no CRL (CERT_CRL_URLS covers them). */
let cfgCa: TestCa;
let served: Buffer | null = null;
let srv: Awaited<ReturnType<typeof crlServer>>;
let seq = 0;

const REVOKED = "憑證已廢止，無法用於登入。如已換發新卡，請以帳號密碼登入後至「我的 › 自然人憑證」重新綁定。";
const UNKNOWN = "無法確認憑證狀態，請稍後再試或改用帳號密碼登入。";

beforeAll(async () => {
  const root = await makeRootCa("CN=Rev GRCA, O=Test, C=TW", NOW);
  moica = await makeIssuingCa(root, "CN=Rev MOICA, O=Test, C=TW", NOW);
  cfgCa = await makeIssuingCa(root, "CN=Cfg CA, O=Test, C=TW", NOW);
  srv = await crlServer(() => served);
  c = await testContainer({
    clock,
    env: { CERT_CA_BUNDLE: writeBundle(root, moica, cfgCa), CERT_REVOCATION_ALLOW_LOOPBACK_FOR_TESTS: "1" },
  });
  unitId = (await makeUnit(c, (await makeAgency(c)).id)).id;
});
afterAll(async () => {
  await c?.close();
  await srv?.close();
});

/** A card naming `path` on the test server as its CRL (and an OCSP responder), linked to a fresh account. */
async function linkedCard(path: string, ocspUrl?: string) {
  const account = await makeAccount(c, { unitId });
  const card = await makeCard(moica, {
    cardNo: `RV${String(1000 + seq++)}`,
    around: NOW,
    crlUrls: [srv.url(path)],
    ocspUrl,
  });
  await c.db.updateTable("accounts").set({ citizen_card_no: card.cardNo }).where("id", "=", account.id).execute();
  return { account, card };
}

async function signIn(card: TestCard) {
  const ch = await c.services.certificates.loginChallenge();
  return c.services.certificates.signIn(
    { challengeId: ch.id, signature: await signWithCard(card, ch.tbs), certificate: card.certB64 },
    meta,
  );
}
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("should have been refused");
    },
    (e: { message: string }) => e.message,
  );
const lastRecord = (accountId: number) =>
  c.db
    .selectFrom("login_records")
    .select(["result", "method"])
    .where("account_id", "=", accountId)
    .orderBy("id", "desc")
    .executeTakeFirstOrThrow();
const source = (path: string) =>
  c.db.selectFrom("cert_crl_sources").selectAll().where("url", "=", srv.url(path)).executeTakeFirst();
const revokedCount = (path: string) =>
  c.db
    .selectFrom("cert_revoked")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("url", "=", srv.url(path))
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));
const fetchAgain = async (path: string, key: string) => {
  await queueCrlFetch(c.db, srv.url(path), clock.now(), key);
  await c.worker.drain();
};

describe("certificate revocation (issue 17 item 8)", () => {
  let good: Awaited<ReturnType<typeof linkedCard>>;
  let revoked: Awaited<ReturnType<typeof linkedCard>>;

  it("refuses a card whose CRL was never fetched (fail closed) and queues the fetch", async () => {
    good = await linkedCard("/moica.crl");
    revoked = await linkedCard("/moica.crl");
    expect(await refusal(signIn(good.card))).toBe(UNKNOWN);
    expect(await lastRecord(good.account.id)).toEqual({ result: "revocation_unknown", method: "certificate" });
    const job = await c.db
      .selectFrom("jobs")
      .select(["kind", "payload"])
      .where("kind", "=", CRL_JOB)
      .executeTakeFirst();
    expect(job?.payload).toEqual({ url: srv.url("/moica.crl") });
  });

  it("the job fetches, verifies and stores the list; the revoked card is refused, the other signs in", async () => {
    served = await makeCrl(moica, {
      revoked: [revoked.card],
      thisUpdate: new Date(NOW.getTime() - HOUR),
      nextUpdate: new Date(NOW.getTime() + 24 * HOUR),
    });
    await c.worker.drain();
    expect(await source("/moica.crl")).toMatchObject({
      ca_fingerprint: new X509Certificate(moica.pem).fingerprint256,
      ca_subject: "Rev MOICA, Test, TW",
      entries: 1,
      last_error: null,
      next_update: new Date(NOW.getTime() + 24 * HOUR),
    });
    expect(await revokedCount("/moica.crl")).toBe(1);

    await expect(signIn(good.card)).resolves.toMatchObject({ accountId: good.account.id });
    expect(await refusal(signIn(revoked.card))).toBe(REVOKED);
    expect(await lastRecord(revoked.account.id)).toEqual({ result: "revoked_certificate", method: "certificate" });
    const row = await c.db
      .selectFrom("accounts")
      .select("failed_login_count")
      .where("id", "=", revoked.account.id)
      .executeTakeFirstOrThrow();
    expect(row.failed_login_count).toBe(0); // not a guess: the lockout is not counted
  });

  it("the sign-in page shows the refusal in zh-TW and keeps no session", async () => {
    const server = await startTestServer(c);
    try {
      const data = (await (await fetch(`${server.url}/login/certificate?_data=routes/login_.certificate`)).json()) as {
        challenge: { id: string; tbs: string };
      };
      const res = await fetch(`${server.url}/login/certificate`, {
        method: "POST",
        redirect: "manual",
        headers: { Origin: server.url, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          challengeId: data.challenge.id,
          signature: await signWithCard(revoked.card, data.challenge.tbs),
          certificate: revoked.card.certB64,
        }).toString(),
      });
      expect(res.headers.get("set-cookie") ?? "").not.toMatch(/session/i);
      expect(await res.text()).toContain("憑證已廢止，無法用於登入。");
    } finally {
      await server.close();
    }
  });

  it("a list with a bad signature is rejected and not stored; the stored list stays", async () => {
    const forger = await makeIssuingCa(moica, "CN=Rev MOICA, O=Test, C=TW", NOW);
    const stored = await source("/moica.crl");
    // Same issuer name, another key, and it un-revokes the card.
    served = await makeCrl(moica, {
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + 48 * HOUR),
      signingKey: forger.keys.privateKey,
    });
    await fetchAgain("/moica.crl", "forged");
    const after = await source("/moica.crl");
    expect(after?.last_error).toMatch(/not signed by a CA of CERT_CA_BUNDLE/);
    expect(after?.this_update).toEqual(stored?.this_update);
    expect(await revokedCount("/moica.crl")).toBe(1);
    expect(await refusal(signIn(revoked.card))).toBe(REVOKED);

    // A list never stored before: nothing at all is kept for it, and its cards stay refused.
    const other = await linkedCard("/forged.crl");
    expect(await refusal(signIn(other.card))).toBe(UNKNOWN);
    await c.worker.drain();
    expect(await source("/forged.crl")).toMatchObject({ ca_fingerprint: null, this_update: null });
    expect(await revokedCount("/forged.crl")).toBe(0);
    expect(await refusal(signIn(other.card))).toBe(UNKNOWN);
  });

  it("a list past nextUpdate plus the grace (系統參數 crl_grace_hours) refuses sign-in", async () => {
    await c.db
      .insertInto("system_params")
      .values({ key: "crl_grace_hours", value: JSON.stringify(2), updated_at: NOW })
      .execute();
    try {
      clock.set(new Date(NOW.getTime() + 25 * HOUR)); // past nextUpdate, within the grace
      await expect(signIn(good.card)).resolves.toBeTruthy();
      clock.set(new Date(NOW.getTime() + 27 * HOUR)); // past the grace too
      expect(await refusal(signIn(good.card))).toBe(UNKNOWN);
      expect(await lastRecord(good.account.id)).toEqual({ result: "revocation_unknown", method: "certificate" });
      // A fresh list fetched by the job puts it right.
      served = await makeCrl(moica, {
        revoked: [revoked.card],
        thisUpdate: clock.now(),
        nextUpdate: new Date(clock.now().getTime() + 24 * HOUR),
      });
      await fetchAgain("/moica.crl", "fresh");
      await expect(signIn(good.card)).resolves.toBeTruthy();
    } finally {
      clock.set(NOW);
      await c.db.deleteFrom("system_params").where("key", "=", "crl_grace_hours").execute();
    }
  });

  it("an older list than the one stored is not taken (a replay would un-revoke cards)", async () => {
    served = await makeCrl(moica, {
      thisUpdate: new Date(NOW.getTime() - 10 * HOUR),
      nextUpdate: new Date(NOW.getTime() + 24 * HOUR),
    });
    await fetchAgain("/moica.crl", "replay");
    expect((await source("/moica.crl"))?.last_error).toMatch(/older than the one stored/);
    expect(await revokedCount("/moica.crl")).toBe(1);
  });

  it("a card that names no CRL is checked against the lists its CA signed", async () => {
    const account = await makeAccount(c, { unitId });
    const card = await makeCard(moica, { cardNo: `RV${String(1000 + seq++)}`, around: NOW });
    await c.db.updateTable("accounts").set({ citizen_card_no: card.cardNo }).where("id", "=", account.id).execute();
    await expect(signIn(card)).resolves.toMatchObject({ accountId: account.id });
  });
});

describe("configured lists, CERT_CRL_MISSING and bad answers (issue 17 item 8)", () => {
  it("a list from CERT_CRL_URLS is fetched by the hourly refresh and covers cards that name none", async () => {
    const ca = cfgCa;
    const card = await makeCard(ca, { cardNo: "CFG0001", around: NOW });
    const [cert, issuer] = [new X509Certificate(card.pem), new X509Certificate(ca.pem)];
    const check = (missing: "refuse" | "allow") =>
      revocationCheck({ db: c.db, params: c.services.params, missing, queueFirstFetch: async () => undefined });
    // No list names this CA yet (another card's unfetched point, /forged.crl, is not its): unchecked.
    expect(await check("refuse")(cert, issuer, NOW)).toBe("ok");
    const url = srv.url("/configured.crl");
    scheduleCrlRefresh(c.db, () => clock.now(), [url])();
    await expect.poll(() => source("/configured.crl")).toMatchObject({ origin: "config", this_update: null });
    // Not fetched yet and it may be this CA's: refused, unless the site chose availability.
    expect(await check("refuse")(cert, issuer, NOW)).toBe("unknown");
    expect(await check("allow")(cert, issuer, NOW)).toBe("ok");
    served = Buffer.from("not a CRL at all");
    await expect
      .poll(() => c.db.selectFrom("jobs").select("id").where("idempotency_key", "like", `crl:%${url}`).execute())
      .toHaveLength(1);
    await c.worker.drain();
    expect((await source("/configured.crl"))?.last_error).toMatch(/not a CRL/);
    expect(await check("refuse")(cert, issuer, NOW)).toBe("unknown");
    served = await makeCrl(ca, { revoked: [card], thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + 24 * HOUR) });
    await fetchAgain("/configured.crl", "cfg");
    expect(await check("refuse")(cert, issuer, NOW)).toBe("revoked");
  });
});

describe("OCSP where the card names a responder (issue 17 item 8)", () => {
  const verdicts = new Map<string, OcspVerdict>();
  const serial = (card: TestCard) => card.cert.serialNumber.toLowerCase().replace(/^0+(?=.)/, "");
  let responder: Awaited<ReturnType<typeof ocspResponder>>;
  let forger: Awaited<ReturnType<typeof ocspResponder>>;
  beforeAll(async () => {
    const decide = (s: string) => verdicts.get(s) ?? "unknown";
    responder = await ocspResponder(decide, moica.keys.privateKey, () => clock.now());
    const other = await makeIssuingCa(moica, "CN=Rev MOICA, O=Test, C=TW", NOW);
    forger = await ocspResponder(
      () => "good",
      other.keys.privateKey,
      () => clock.now(),
    );
  });
  afterAll(async () => {
    await responder?.close();
    await forger?.close();
  });

  it("a revoked answer refuses a card the CRL does not list; a good one admits a card whose CRL never came", async () => {
    const onCrlNot = await linkedCard("/moica.crl", responder.url);
    verdicts.set(serial(onCrlNot.card), "revoked");
    expect(await refusal(signIn(onCrlNot.card))).toBe(REVOKED);
    expect(await lastRecord(onCrlNot.account.id)).toEqual({ result: "revoked_certificate", method: "certificate" });

    const noCrl = await linkedCard("/never.crl", responder.url);
    verdicts.set(serial(noCrl.card), "good");
    await expect(signIn(noCrl.card)).resolves.toMatchObject({ accountId: noCrl.account.id });
  });

  it("a responder that fails, says unknown or signs with another key leaves the CRL to decide", async () => {
    const down = await linkedCard("/moica.crl", responder.url);
    verdicts.set(serial(down.card), "down");
    await expect(signIn(down.card)).resolves.toMatchObject({ accountId: down.account.id });

    const unknown = await linkedCard("/never.crl", responder.url);
    expect(await refusal(signIn(unknown.card))).toBe(UNKNOWN);

    const forged = await linkedCard("/never.crl", forger.url);
    expect(await refusal(signIn(forged.card))).toBe(UNKNOWN);
  });
});
