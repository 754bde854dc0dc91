import { AsnConvert } from "@peculiar/asn1-schema";
import { CertificateList } from "@peculiar/asn1-x509";
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crlSigner, parseCrl, revokedEntries } from "../../bff/certificates/crl.js";
import { storeCrl } from "../../bff/certificates/crl-store.js";
import { storedStatus } from "../../bff/certificates/revocation.js";
import type { DbHandle } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import { testDatabase } from "../helpers/db.js";
import { makeLargeCrl } from "../helpers/test-crl.js";
import { makeIssuingCa, makeRootCa, type TestCa } from "../helpers/test-pki.js";

/**
 * Issue 17 item 8: MOICA's CRL is tens of MB. A list of 100 000 entries (16-byte serials) is
 * parsed in place, verified and stored; the figures are printed for the ADR and bounded loosely
 * so a regression to an object-per-field parse (several copies of the list) fails.
 */
const NOW = new Date("2026-11-30T01:00:00Z");
const COUNT = 100_000;
let handle: DbHandle;
let ca: TestCa;
let der: Buffer;

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
const heap = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

beforeAll(async () => {
  handle = await testDatabase();
  const root = await makeRootCa("CN=Big GRCA, C=TW", NOW);
  ca = await makeIssuingCa(root, "CN=Big MOICA, C=TW", NOW);
  der = await makeLargeCrl(ca, COUNT, { thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + 86_400_000) });
});
afterAll(() => handle?.close());

describe("a CRL of 100 000 entries", () => {
  it("is parsed and verified in place, without a copy per entry", async () => {
    const before = heap();
    let t = performance.now();
    const crl = parseCrl(der);
    const parseMs = performance.now() - t;
    let n = 0;
    t = performance.now();
    for (const e of revokedEntries(crl)) if (e.reason === 1) n++;
    const walkMs = performance.now() - t;
    t = performance.now();
    const signer = crlSigner(crl, [new X509Certificate(ca.pem)]);
    const verifyMs = performance.now() - t;
    const grown = heap() - before;
    expect(crl.entries).toBe(COUNT);
    expect(n).toBe(COUNT);
    expect(signer).not.toBeNull();

    // For comparison: @peculiar/asn1-x509's CertificateList builds every field as objects, and
    // with asn1js's default limits it refuses a list this size outright.
    expect(() => AsnConvert.parse(der, CertificateList)).toThrow(/node count exceeded/);

    console.log(
      `CRL ${mb(der.length)}, ${COUNT} entries: parse+check ${parseMs.toFixed(0)} ms, walk ${walkMs.toFixed(0)} ms, ` +
        `verify ${verifyMs.toFixed(0)} ms` +
        (globalThis.gc ? `, heap ${mb(grown)}` : ""),
    );
    // Loose bounds (a shared, busy machine): they catch a quadratic walk or a copy per entry.
    expect(parseMs + walkMs).toBeLessThan(15_000);
    // Heap growth means something only after a collection (node --expose-gc); else garbage counts.
    if (globalThis.gc) expect(grown).toBeLessThan(der.length * 2);
  });

  it("is stored in batches and looked up by serial at once", async () => {
    const db = handle.db;
    const url = "http://crl.example.test/big.crl";
    const crl = parseCrl(der);
    const issuer = new X509Certificate(ca.pem);
    let t = performance.now();
    const stored = await inTransaction(db, (trx) => storeCrl(trx, url, crl, issuer.fingerprint256, NOW));
    const storeMs = performance.now() - t;
    expect(stored).toMatchObject({ entries: COUNT, replaced: true });

    t = performance.now();
    const again = await inTransaction(db, (trx) => storeCrl(trx, url, crl, issuer.fingerprint256, NOW));
    const sameMs = performance.now() - t;
    expect(again.replaced).toBe(false);

    const first = revokedEntries(crl).next().value!;
    const fake = { serialNumber: first.serial.toUpperCase() } as X509Certificate;
    t = performance.now();
    const status = await storedStatus(db, { cert: fake, issuer, urls: [url], graceMs: 0, now: NOW });
    const lookupMs = performance.now() - t;
    expect(status).toBe("revoked");
    console.log(
      `store ${COUNT} rows ${storeMs.toFixed(0)} ms; same list again ${sameMs.toFixed(0)} ms; lookup ${lookupMs.toFixed(1)} ms`,
    );
  });
});
