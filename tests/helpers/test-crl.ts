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

/** DER: a tag, a length, the content. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : Buffer.concat([Buffer.from([0x80 | byteLen(n)]), bigEndian(n, byteLen(n))]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const byteLen = (n: number) => (n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4);
function bigEndian(n: number, bytes: number) {
  const b = Buffer.alloc(bytes);
  for (let i = bytes - 1; i >= 0; i--, n = Math.floor(n / 256)) b[i] = n & 0xff;
  return b;
}
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
