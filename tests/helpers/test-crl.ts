/**
 * Certificate revocation lists made by the tests (issue 17 item 8): small ones with
 * @peculiar/x509, a large one (100 000 entries and more) with a plain DER writer, since the
 * library takes minutes for that many; and a tiny HTTP server that serves them on 127.0.0.1.
 */
// test-pki sets @peculiar/x509 up (reflect-metadata, node's WebCrypto) before it is used here.
import "./test-pki.js";
import { webcrypto } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as x509 from "@peculiar/x509";
import { childList, derTlv, readTlv } from "../../bff/certificates/der.js";
import type { TestCa, TestCard } from "./test-pki.js";

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

export interface CrlOptions {
  revoked?: TestCard[];
  thisUpdate: Date;
  nextUpdate: Date;
  /** Signed with this key instead of the CA's (a forged list). */
  signingKey?: CryptoKey;
}

export async function makeCrl(ca: TestCa, o: CrlOptions): Promise<Buffer> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subject,
    thisUpdate: o.thisUpdate,
    nextUpdate: o.nextUpdate,
    entries: (o.revoked ?? []).map((card) => ({
      serialNumber: card.cert.serialNumber,
      revocationDate: new Date(o.thisUpdate.getTime() - 3600_000),
      reason: x509.X509CrlReason.keyCompromise,
    })),
    signingKey: o.signingKey ?? ca.keys.privateKey,
    signingAlgorithm: RSA,
  });
  return Buffer.from(crl.rawData);
}

const tlv = (tag: number, content: Buffer) => derTlv(tag, content);
const utcTime = (d: Date) => tlv(0x17, Buffer.from(`${d.toISOString().slice(2, 19).replace(/[-:T]/g, "")}Z`));
const SHA256_RSA = Buffer.from("300d06092a864886f70d01010b0500", "hex");
const REASON_KEY_COMPROMISE = Buffer.from("300a0603551d150403 0a0101".replace(/ /g, ""), "hex");

/** A CRL of `count` entries (16-byte serials, as MOICA's), signed by `ca`, written directly as DER. */
export async function makeLargeCrl(ca: TestCa, count: number, o: { thisUpdate: Date; nextUpdate: Date }) {
  const entries: Buffer[] = [];
  const serial = Buffer.alloc(16);
  for (let i = 0; i < count; i++) {
    serial.writeUInt32BE(0x40000000 + i, 0);
    serial.writeUInt32BE((i * 2654435761) >>> 0, 12);
    entries.push(
      tlv(
        0x30,
        Buffer.concat([
          tlv(0x02, serial),
          utcTime(new Date(o.thisUpdate.getTime() - i * 1000)),
          tlv(0x30, REASON_KEY_COMPROMISE),
        ]),
      ),
    );
  }
  const issuer = Buffer.from(ca.cert.subjectName.toArrayBuffer());
  const tbs = tlv(
    0x30,
    Buffer.concat([
      Buffer.from([0x02, 0x01, 0x01]),
      SHA256_RSA,
      issuer,
      utcTime(o.thisUpdate),
      utcTime(o.nextUpdate),
      tlv(0x30, Buffer.concat(entries)),
    ]),
  );
  const sig = Buffer.from(await webcrypto.subtle.sign(RSA, ca.keys.privateKey, tbs));
  return tlv(0x30, Buffer.concat([tbs, SHA256_RSA, tlv(0x03, Buffer.concat([Buffer.from([0]), sig]))]));
}

/** Serves whatever `body()` is at any path, on 127.0.0.1; counts the requests. */
export async function crlServer(body: () => Buffer | null) {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    const b = body();
    if (!b) return void res.writeHead(503).end();
    res.writeHead(200, { "content-type": "application/pkix-crl", "content-length": b.length }).end(b);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = "/crl/ca.crl") => `http://127.0.0.1:${port}${path}`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type OcspVerdict = "good" | "revoked" | "unknown" | "down";
const GENERALIZED = (d: Date) => derTlv(0x18, Buffer.from(`${d.toISOString().slice(0, 19).replace(/[-:T]/g, "")}Z`));

/**
 * A tiny OCSP responder on 127.0.0.1: answers each request about the serial it carries with
 * `decide(serial)`, signed by `signer` (the CA itself, or another key to forge).
 */
export async function ocspResponder(decide: (serialHex: string) => OcspVerdict, signer: CryptoKey, now: () => Date) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void answer(Buffer.concat(chunks)).then((body) =>
        body ? res.writeHead(200, { "content-type": "application/ocsp-response" }).end(body) : res.writeHead(500).end(),
      );
    });
  });
  async function answer(request: Buffer): Promise<Buffer | null> {
    // OCSPRequest → tbsRequest → requestList → Request → CertID, copied into the answer as sent.
    const tbs = childList(request, readTlv(request, 0))[0]!;
    const req0 = childList(request, childList(request, tbs)[0]!)[0]!;
    const certId = childList(request, req0)[0]!;
    const serialTlv = childList(request, certId)[3]!;
    const verdict = decide(request.toString("hex", serialTlv.start, serialTlv.end).replace(/^0+(?=.)/, ""));
    if (verdict === "down") return null;
    const t = now();
    const status =
      verdict === "good"
        ? Buffer.from([0x80, 0x00])
        : verdict === "revoked"
          ? derTlv(0xa1, GENERALIZED(new Date(t.getTime() - 3600_000)))
          : Buffer.from([0x82, 0x00]);
    const single = derTlv(
      0x30,
      request.subarray(certId.from, certId.end),
      status,
      GENERALIZED(t),
      derTlv(0xa0, GENERALIZED(new Date(t.getTime() + 3600_000))),
    );
    const data = derTlv(0x30, derTlv(0xa2, derTlv(0x04, Buffer.alloc(20))), GENERALIZED(t), derTlv(0x30, single));
    const sig = Buffer.from(await webcrypto.subtle.sign(RSA, signer, data));
    const basic = derTlv(0x30, data, SHA256_RSA, derTlv(0x03, Buffer.from([0]), sig));
    const bytes = derTlv(
      0xa0,
      derTlv(0x30, derTlv(0x06, Buffer.from("2b0601050507300101", "hex")), derTlv(0x04, basic)),
    );
    return derTlv(0x30, Buffer.from([0x0a, 0x01, 0x00]), bytes);
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ocsp`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
