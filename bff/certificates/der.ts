/**
 * A minimal DER reader for large CRLs (ADR 0035): it hands out positions in the one buffer
 * that holds the CRL, never copies, so a list of a million entries is walked without
 * building an object per field. Tags are single-byte (all X.509 uses), lengths definite.
 */
export interface Tlv {
  tag: number;
  /** Where the value starts and ends (exclusive) in the buffer. */
  start: number;
  end: number;
  /** Where the whole element (tag and length included) starts. */
  from: number;
}

export class DerError extends Error {
  override readonly name = "DerError";
}

/** The element at `pos`, which must end by `limit`. */
export function readTlv(buf: Buffer, pos: number, limit = buf.length): Tlv {
  if (pos + 2 > limit) throw new DerError("truncated");
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tag");
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new DerError("bad length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError("truncated");
  return { tag, start, end, from: pos };
}

/** The elements inside a constructed element, in order. */
export function* children(buf: Buffer, parent: Tlv): Generator<Tlv> {
  for (let pos = parent.start; pos < parent.end;) {
    const tlv = readTlv(buf, pos, parent.end);
    yield tlv;
    pos = tlv.end;
  }
}

/** All children at once, for the few small sequences around the list. */
export const childList = (buf: Buffer, parent: Tlv) => [...children(buf, parent)];

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
} as const;

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`${what}: unexpected element`);
  return tlv;
}

/** An INTEGER as lower-case hex without leading zeros ("0" for zero): how serials are compared. */
export function integerHex(buf: Buffer, tlv: Tlv): string {
  let i = tlv.start;
  while (i < tlv.end - 1 && buf[i] === 0) i++;
  return normaliseSerial(buf.toString("hex", i, tlv.end));
}

/** Serial numbers compare as lower-case hex without leading zeros, however they were written. */
export const normaliseSerial = (hex: string) => hex.toLowerCase().replace(/^0+(?=.)/, "");

/**
 * UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSS[.f]Z), read
 * from the bytes (a list has one per entry: no string or regular expression per entry).
 */
export function readTime(buf: Buffer, tlv: Tlv): Date {
  const utc = tlv.tag === TAG.UTC_TIME;
  if (!utc && tlv.tag !== TAG.GENERALIZED_TIME) throw new DerError("bad time");
  const yearDigits = utc ? 2 : 4;
  if (tlv.end - tlv.start < yearDigits + 11 || buf[tlv.end - 1] !== 0x5a) throw new DerError("bad time");
  let pos = tlv.start;
  const num = (digits: number) => {
    let v = 0;
    for (const stop = pos + digits; pos < stop; pos++) {
      const d = buf[pos]! - 0x30;
      if (d < 0 || d > 9) throw new DerError("bad time");
      v = v * 10 + d;
    }
    return v;
  };
  let year = num(yearDigits);
  if (utc) year += year < 50 ? 2000 : 1900;
  const [mo, d, h, mi, sec] = [num(2), num(2), num(2), num(2), num(2)];
  if (pos !== tlv.end - 1 && (utc || buf[pos] !== 0x2e)) throw new DerError("bad time");
  return new Date(Date.UTC(year, mo - 1, d, h, mi, sec));
}

/** Dotted text of an OBJECT IDENTIFIER. */
export function readOid(buf: Buffer, tlv: Tlv): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    value = value * 128 + (buf[i]! & 0x7f);
    if ((buf[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

/** DER writing, for the few small structures the portal sends (an OCSP request). */
export function derTlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const size = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
  const len = Buffer.alloc(n < 0x80 ? 1 : 1 + size);
  if (n < 0x80) len[0] = n;
  else {
    len[0] = 0x80 | size;
    len.writeUIntBE(n, 1, size);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
