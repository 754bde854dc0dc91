import { KeyUsageFlags } from "@peculiar/asn1-x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCardField } from "../../bff/certificates/card-field.js";
import { parsePemBundle } from "../../bff/certificates/encoding.js";
import { createCertificateService } from "../../bff/certificates/service.js";
import { loadCertificateTrust } from "../../bff/certificates/trust.js";
import type { Container } from "../../bff/container.js";
import { readParams } from "../../bff/params/store.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, meta, signInAs } from "../helpers/factory.js";
import {
  makeCard,
  makeIssuingCa,
  makeRootCa,
  signWithCard,
  type TestCa,
  type TestCard,
  writeBundle,
} from "../helpers/test-pki.js";

const NOW = new Date("2026-11-30T01:00:00Z");
const clock = fixedClock(NOW);
let c: Container;
let unitId: number;
let root: TestCa;
let moica: TestCa;
let seq = 0;
const cardNo = () => `TP0300000000${String(1000 + seq++)}`;

beforeAll(async () => {
  root = await makeRootCa("CN=Test GRCA, O=Test, C=TW", NOW);
  moica = await makeIssuingCa(root, "CN=Test MOICA, O=Test, C=TW", NOW);
  c = await testContainer({ clock, env: { CERT_CA_BUNDLE: writeBundle(root, moica) } });
  unitId = (await makeUnit(c, (await makeAgency(c)).id)).id;
});
afterAll(() => c?.close());

/** A card linked to a fresh account (straight into the table, as an admin's link would). */
async function linkedCard(opts: { status?: "enabled" | "disabled" | "inactive" } = {}) {
  const account = await makeAccount(c, { unitId, status: opts.status });
  const card = await makeCard(moica, { cardNo: cardNo(), around: NOW });
  await c.db.updateTable("accounts").set({ citizen_card_no: card.cardNo }).where("id", "=", account.id).execute();
  return { account, card };
}

/** What the page posts: a fresh challenge signed by `card` (or by `signer`, to forge). */
async function signedLogin(card: TestCard, opts: { signer?: TestCard; text?: (tbs: string) => string } = {}) {
  const challenge = await c.services.certificates.loginChallenge();
  const text = opts.text ? opts.text(challenge.tbs) : challenge.tbs;
  return {
    challengeId: challenge.id,
    signature: await signWithCard(opts.signer ?? card, text),
    certificate: card.certB64,
  };
}

/** The same service on the same database, trusting other CAs or reading another field. */
function serviceWith(trust: { cas: TestCa[]; field?: string } | null) {
  return createCertificateService({
    db: c.db,
    clock,
    auth: c.services.auth,
    directory: c.directory,
    trust: trust && {
      bundle: parsePemBundle(trust.cas.map((ca) => ca.pem).join("\n")),
      field: parseCardField(trust.field ?? "subject:serialNumber"),
    },
    signerUrl: "http://localhost:61161",
  });
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("should have been refused");
    },
    (e: { code: string; message: string }) => e,
  );

const records = (accountId: number) =>
  c.db.selectFrom("login_records").selectAll().where("account_id", "=", accountId).orderBy("id").execute();

const accountRow = (id: number) =>
  c.db
    .selectFrom("accounts")
    .select(["failed_login_count", "login_permission", "last_login_at", "citizen_card_no"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();

describe("citizen certificate sign-in (IDN-4)", () => {
  it("signs in with a good card: session, last sign-in, a certificate login record", async () => {
    const { account, card } = await linkedCard();
    const session = await c.services.certificates.signIn(await signedLogin(card), meta);
    const actor = await c.services.auth.actorFromToken(session.token, meta);
    expect(actor?.accountId).toBe(account.id);
    expect((await accountRow(account.id)).last_login_at?.toISOString()).toBe(NOW.toISOString());
    expect(await records(account.id)).toMatchObject([
      { method: "certificate", action: "login", result: "success", ip: meta.ip, username: account.username },
    ]);
  });

  it("accepts the card in PEM as well as base64 DER", async () => {
    const { card } = await linkedCard();
    const input = await signedLogin(card);
    await expect(c.services.certificates.signIn({ ...input, certificate: card.pem }, meta)).resolves.toBeTruthy();
  });

  it("accepts an ECDSA P-256 card", async () => {
    const account = await makeAccount(c, { unitId });
    const card = await makeCard(moica, { cardNo: cardNo(), around: NOW, ec: true });
    await c.db.updateTable("accounts").set({ citizen_card_no: card.cardNo }).where("id", "=", account.id).execute();
    const session = await c.services.certificates.signIn(await signedLogin(card), meta);
    expect(session.accountId).toBe(account.id);
  });

  it("refuses a certificate from another CA, even one that copies the trusted CA's names", async () => {
    const { account, card } = await linkedCard();
    const fakeRoot = await makeRootCa("CN=Test GRCA, O=Test, C=TW", NOW);
    const fakeMoica = await makeIssuingCa(fakeRoot, "CN=Test MOICA, O=Test, C=TW", NOW);
    // Same card number as the real, linked card: the forger would be that account.
    const forged = await makeCard(fakeMoica, { cardNo: card.cardNo, around: NOW });
    const err = await refusal(c.services.certificates.signIn(await signedLogin(forged), meta));
    expect(err).toMatchObject({ code: "invalid", message: "此憑證不是由本系統信任的憑證機構所簽發，無法使用。" });
    // An untrusted certificate's card number is not believed: nothing lands on that account.
    expect(await records(account.id)).toHaveLength(0);
    expect((await accountRow(account.id)).failed_login_count).toBe(0);
    const rec = await c.db
      .selectFrom("login_records")
      .selectAll()
      .where("method", "=", "certificate")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(rec).toMatchObject({ account_id: null, result: "bad_certificate" });
  });

  it("refuses a card whose issuing CA is not in the bundle (root alone is not enough)", async () => {
    const rootOnly = serviceWith({ cas: [root] });
    const { card } = await linkedCard();
    const challenge = await rootOnly.loginChallenge();
    const err = await refusal(
      rootOnly.signIn(
        { challengeId: challenge.id, signature: await signWithCard(card, challenge.tbs), certificate: card.certB64 },
        meta,
      ),
    );
    expect(err.message).toBe("此憑證不是由本系統信任的憑證機構所簽發，無法使用。");
  });

  it("refuses an expired certificate, recorded on the account, not counted as a failure", async () => {
    const account = await makeAccount(c, { unitId });
    const card = await makeCard(moica, {
      cardNo: cardNo(),
      around: NOW,
      notBefore: new Date("2021-01-01T00:00:00Z"),
      notAfter: new Date("2026-11-30T00:59:59Z"),
    });
    await c.db.updateTable("accounts").set({ citizen_card_no: card.cardNo }).where("id", "=", account.id).execute();
    const err = await refusal(c.services.certificates.signIn(await signedLogin(card), meta));
    expect(err.message).toBe("憑證已過期，請至內政部憑證管理中心辦理展期或換發後再試。");
    expect(await records(account.id)).toMatchObject([{ method: "certificate", result: "bad_certificate" }]);
    expect((await accountRow(account.id)).failed_login_count).toBe(0);
  });

  it("refuses a certificate that is not valid yet (the injected clock decides)", async () => {
    const { card } = await linkedCard();
    clock.set(new Date(NOW.getTime() - 2 * 365 * 24 * 3600_000));
    try {
      const err = await refusal(c.services.certificates.signIn(await signedLogin(card), meta));
      expect(err.message).toBe("憑證尚未生效，請確認電腦日期或稍後再試。");
    } finally {
      clock.set(NOW);
    }
  });

  it("refuses a certificate without digitalSignature (the card's encryption certificate)", async () => {
    const account = await makeAccount(c, { unitId });
    const card = await makeCard(moica, { cardNo: cardNo(), around: NOW, keyUsage: KeyUsageFlags.keyEncipherment });
    await c.db.updateTable("accounts").set({ citizen_card_no: card.cardNo }).where("id", "=", account.id).execute();
    const err = await refusal(c.services.certificates.signIn(await signedLogin(card), meta));
    expect(err.message).toBe("此憑證不能用於簽章，請使用自然人憑證卡上的簽章憑證。");
  });

  it("refuses a bad signature, counts it towards the lockout and locks at the threshold", async () => {
    const { account, card } = await linkedCard();
    const otherKey = await makeCard(moica, { cardNo: cardNo(), around: NOW });
    const err = await refusal(c.services.certificates.signIn(await signedLogin(card, { signer: otherKey }), meta));
    expect(err.message).toBe("憑證簽章驗證失敗，請重新操作。");
    expect((await accountRow(account.id)).failed_login_count).toBe(1);
    expect(await records(account.id)).toMatchObject([{ method: "certificate", result: "bad_signature" }]);
    // The card signed some other text than this challenge: also a bad signature.
    await refusal(c.services.certificates.signIn(await signedLogin(card, { text: (t) => `${t}x` }), meta));
    expect((await accountRow(account.id)).failed_login_count).toBe(2);

    const { lockout_threshold } = await readParams(c.db);
    for (let i = 2; i < lockout_threshold; i++) {
      await refusal(c.services.certificates.signIn(await signedLogin(card, { signer: otherKey }), meta));
    }
    expect((await accountRow(account.id)).login_permission).toBe("locked");
    // Locked: even the right card is refused, as with a password.
    const locked = await refusal(c.services.certificates.signIn(await signedLogin(card), meta));
    expect(locked.message).toMatch(/帳號已鎖定/);
    expect((await records(account.id)).at(-1)).toMatchObject({ method: "certificate", result: "locked" });
  });

  it("refuses a replayed challenge", async () => {
    const { account, card } = await linkedCard();
    const input = await signedLogin(card);
    await c.services.certificates.signIn(input, meta);
    const err = await refusal(c.services.certificates.signIn(input, meta));
    expect(err.message).toBe("此次登入請求已使用或已逾時，請重新操作。");
    const rows = await c.db
      .selectFrom("login_records")
      .select(["result", "account_id"])
      .where("method", "=", "certificate")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(rows).toEqual({ result: "stale_challenge", account_id: null });
    expect((await records(account.id)).map((r) => r.result)).toEqual(["success"]);
  });

  it("refuses an expired challenge", async () => {
    const { card } = await linkedCard();
    const input = await signedLogin(card);
    clock.advance(5 * 60_000 + 1);
    try {
      const err = await refusal(c.services.certificates.signIn(input, meta));
      expect(err.message).toBe("此次登入請求已使用或已逾時，請重新操作。");
    } finally {
      clock.set(NOW);
    }
  });

  it("does not take a challenge issued for linking a card as a sign-in", async () => {
    const { account, card } = await linkedCard();
    const { actor } = await signInAs(c, account);
    const link = await c.services.certificates.linkChallenge(actor);
    const err = await refusal(
      c.services.certificates.signIn(
        { challengeId: link.id, signature: await signWithCard(card, link.tbs), certificate: card.certB64 },
        meta,
      ),
    );
    expect(err.message).toBe("此次登入請求已使用或已逾時，請重新操作。");
  });

  it("refuses an unknown card without naming any account", async () => {
    const card = await makeCard(moica, { cardNo: cardNo(), around: NOW });
    const err = await refusal(c.services.certificates.signIn(await signedLogin(card), meta));
    expect(err.message).toBe("此自然人憑證尚未綁定入口網帳號。請先以帳號密碼登入，再至「我的 › 自然人憑證」綁定。");
    const rec = await c.db
      .selectFrom("login_records")
      .selectAll()
      .where("method", "=", "certificate")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(rec).toMatchObject({ account_id: null, username: "", result: "unknown_user" });
  });

  it("does not tell someone holding only a (public) certificate whether its card has an account", async () => {
    const { card: linked } = await linkedCard();
    const unlinked = await makeCard(moica, { cardNo: cardNo(), around: NOW });
    const stranger = await makeCard(moica, { cardNo: cardNo(), around: NOW });
    const a = await refusal(c.services.certificates.signIn(await signedLogin(linked, { signer: stranger }), meta));
    const b = await refusal(c.services.certificates.signIn(await signedLogin(unlinked, { signer: stranger }), meta));
    expect(b.message).toBe(a.message);
    expect(b.message).toBe("憑證簽章驗證失敗，請重新操作。");
  });

  it("refuses a disabled account and an account not yet activated", async () => {
    const disabled = await linkedCard({ status: "disabled" });
    const err = await refusal(c.services.certificates.signIn(await signedLogin(disabled.card), meta));
    expect(err.message).toBe("帳號已停用，請聯絡機關管理者。");
    expect(await records(disabled.account.id)).toMatchObject([{ method: "certificate", result: "disabled" }]);
    expect(
      await c.db.selectFrom("sessions").select("id").where("account_id", "=", disabled.account.id).execute(),
    ).toEqual([]);
    const inactive = await linkedCard({ status: "inactive" });
    const err2 = await refusal(c.services.certificates.signIn(await signedLogin(inactive.card), meta));
    expect(err2.message).toBe("帳號尚未開通，請先完成開通帳號。");
  });

  it("answers bad input with a zh-TW message, never a crash", async () => {
    const { card } = await linkedCard();
    const good = await signedLogin(card);
    const cases: [Record<string, unknown>, string][] = [
      [{}, "請先插入自然人憑證並輸入 PIN 碼完成簽章。"],
      [{ ...good, signature: "" }, "請先插入自然人憑證並輸入 PIN 碼完成簽章。"],
      [{ ...good, certificate: 42 }, "請先插入自然人憑證並輸入 PIN 碼完成簽章。"],
      [{ ...good, signature: "%%%not base64%%%" }, "憑證或簽章資料格式不正確，請重新操作。"],
      [{ ...good, certificate: "bm90IGEgY2VydGlmaWNhdGU=" }, "憑證或簽章資料格式不正確，請重新操作。"],
      [
        { ...good, certificate: "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----" },
        "憑證或簽章資料格式不正確，請重新操作。",
      ],
      [{ ...good, certificate: "A".repeat(1_000_000) }, "憑證或簽章資料格式不正確，請重新操作。"],
      [{ ...good, signature: "A".repeat(5000) }, "憑證或簽章資料格式不正確，請重新操作。"],
      [{ ...good, challengeId: "not-a-uuid" }, "此次登入請求已使用或已逾時，請重新操作。"],
      [{ ...good, challengeId: "00000000-0000-4000-8000-000000000000" }, "此次登入請求已使用或已逾時，請重新操作。"],
    ];
    for (const [input, message] of cases) {
      const err = await refusal(
        c.services.certificates.signIn(
          input as { challengeId: unknown; signature: unknown; certificate: unknown },
          meta,
        ),
      );
      expect(err, JSON.stringify(input).slice(0, 80)).toMatchObject({ code: "invalid", message });
    }
  });
});

describe("linking a card to one's account (IDN-4)", () => {
  async function signedLink(account: MadeAccount, card: TestCard) {
    const { actor } = await signInAs(c, account);
    const challenge = await c.services.certificates.linkChallenge(actor);
    return {
      actor,
      input: {
        challengeId: challenge.id,
        signature: await signWithCard(card, challenge.tbs),
        certificate: card.certB64,
      },
    };
  }

  it("links the card that signed, audits it, queues the directory sync, then the card signs in", async () => {
    const account = await makeAccount(c, { unitId });
    const card = await makeCard(moica, { cardNo: cardNo(), around: NOW });
    const { actor, input } = await signedLink(account, card);
    const result = await c.services.certificates.link(actor, input);
    expect(result.cardNo).toBe(`************${card.cardNo.slice(-4)}`);
    expect((await accountRow(account.id)).citizen_card_no).toBe(card.cardNo);
    expect(await c.services.certificates.linkedCard(actor)).toBe(result.cardNo);
    const audit = await c.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "account.certificate_link")
      .where("target_id", "=", String(account.id))
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.detail)).not.toContain(card.cardNo);
    const jobs = await c.db.selectFrom("jobs").select("payload").where("kind", "=", "directory.sync-account").execute();
    expect(jobs.some((j) => (j.payload as { accountId?: number }).accountId === account.id)).toBe(true);

    const session = await c.services.certificates.signIn(await signedLogin(card), meta);
    expect(session.accountId).toBe(account.id);

    await c.services.certificates.unlink(actor);
    expect((await accountRow(account.id)).citizen_card_no).toBeNull();
    const err = await refusal(c.services.certificates.signIn(await signedLogin(card), meta));
    expect(err.message).toMatch(/尚未綁定/);
  });

  it("refuses a card already linked to someone else, and another session's challenge", async () => {
    const { card } = await linkedCard();
    const other = await makeAccount(c, { unitId });
    const { actor, input } = await signedLink(other, card);
    expect(await refusal(c.services.certificates.link(actor, input))).toMatchObject({
      code: "conflict",
      message: "此自然人憑證已綁定其他帳號，請聯絡機關管理者。",
    });

    const mine = await makeCard(moica, { cardNo: cardNo(), around: NOW });
    const third = await makeAccount(c, { unitId });
    const stolen = await signedLink(third, mine);
    // `other` tries to complete a challenge issued to `third`'s session.
    expect((await refusal(c.services.certificates.link(actor, stolen.input))).message).toBe(
      "此次登入請求已使用或已逾時，請重新操作。",
    );
    expect((await accountRow(other.id)).citizen_card_no).toBeNull();
  });

  it("refuses to link a card from another CA or with a bad signature", async () => {
    const account = await makeAccount(c, { unitId });
    const fakeRoot = await makeRootCa("CN=Elsewhere, C=TW", NOW);
    const foreign = await makeCard(fakeRoot, { cardNo: cardNo(), around: NOW });
    const a = await signedLink(account, foreign);
    expect((await refusal(c.services.certificates.link(a.actor, a.input))).message).toMatch(/不是由本系統信任/);

    const card = await makeCard(moica, { cardNo: cardNo(), around: NOW });
    const b = await signedLink(account, card);
    const forged = { ...b.input, signature: await signWithCard(foreign, "tainan-portal|link|x") };
    expect((await refusal(c.services.certificates.link(b.actor, forged))).message).toBe(
      "憑證簽章驗證失敗，請重新操作。",
    );
    expect((await accountRow(account.id)).citizen_card_no).toBeNull();
  });
});

describe("where the card number is read from (CERT_CARD_FIELD)", () => {
  for (const place of [
    { in: "extension" as const, oid: "2.16.886.1.100.2.999", env: "extension:2.16.886.1.100.2.999" },
    { in: "san" as const, oid: "2.16.886.1.100.2.998", env: "san:2.16.886.1.100.2.998" },
  ]) {
    it(`reads it from ${place.env}`, async () => {
      const service = serviceWith({ cas: [root, moica], field: place.env });
      const account = await makeAccount(c, { unitId });
      const card = await makeCard(moica, { cardNo: cardNo(), around: NOW, place });
      await c.db.updateTable("accounts").set({ citizen_card_no: card.cardNo }).where("id", "=", account.id).execute();
      const signIn = async (signer: TestCard) => {
        const challenge = await service.loginChallenge();
        return service.signIn(
          {
            challengeId: challenge.id,
            signature: await signWithCard(signer, challenge.tbs),
            certificate: signer.certB64,
          },
          meta,
        );
      };
      expect((await signIn(card)).accountId).toBe(account.id);
      // The same card number in the subject is not where this deployment looks.
      const subjectOnly = await makeCard(moica, { cardNo: card.cardNo, around: NOW });
      expect((await refusal(signIn(subjectOnly))).message).toBe("無法從憑證讀取卡號，請聯絡系統管理者。");
    });
  }

  it("stops the start on a bad field, an unreadable bundle or one without a CA, naming the setting", () => {
    const bundle = writeBundle(root);
    expect(() => loadCertificateTrust({ CERT_CA_BUNDLE: bundle, CERT_CARD_FIELD: "subject:nickname" })).toThrow(
      /CERT_CARD_FIELD/,
    );
    expect(() =>
      loadCertificateTrust({ CERT_CA_BUNDLE: "/nonexistent/ca.pem", CERT_CARD_FIELD: "subject:CN" }),
    ).toThrow(/CERT_CA_BUNDLE/);
    expect(() => loadCertificateTrust({ CERT_CA_BUNDLE: writeBundle(), CERT_CARD_FIELD: "subject:CN" })).toThrow(
      /holds no CA/,
    );
    expect(loadCertificateTrust({ CERT_CA_BUNDLE: undefined, CERT_CARD_FIELD: "subject:CN" })).toBeNull();
  });

  it("is off without a bundle: no challenge is issued", async () => {
    const off = serviceWith(null);
    expect(off.enabled).toBe(false);
    await expect(off.loginChallenge()).rejects.toMatchObject({
      message: "本系統尚未啟用自然人憑證登入，請改用帳號密碼登入。",
    });
  });
});
