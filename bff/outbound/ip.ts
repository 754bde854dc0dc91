import { isIPv4, isIPv6 } from "node:net";

/**
 * Issue 14 item 2: which IP addresses a request to the public internet may reach. A push
 * service is on the public internet; an address in any of these ranges is this machine,
 * the city's intranet or the cloud's metadata service, and posting there is SSRF.
 *
 * IPv4: the IANA special-purpose registry (RFC 6890 and successors), as CIDR blocks.
 * IPv6: only global unicast (2000::/3) minus its special blocks; an address that embeds an
 * IPv4 address (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, IPv4-compatible ::/96) is
 * judged by the IPv4 address inside, so ::ffff:127.0.0.1 is loopback like 127.0.0.1.
 */
export type AddressKind =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "cgnat"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "reserved"
  | "invalid";

const V4_BLOCKS: [string, number, AddressKind][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "cgnat"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"], // IETF protocol assignments
  ["192.0.2.0", 24, "reserved"], // TEST-NET-1
  ["192.88.99.0", 24, "reserved"], // 6to4 relay anycast
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"], // benchmarking
  ["198.51.100.0", 24, "reserved"], // TEST-NET-2
  ["203.0.113.0", 24, "reserved"], // TEST-NET-3
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"], // includes 255.255.255.255 broadcast
];

const V6_BLOCKS: [string, number, AddressKind][] = [
  ["2001::", 23, "reserved"], // IETF protocol assignments: Teredo, ORCHID, benchmarking …
  ["2001:db8::", 32, "reserved"], // documentation
  ["2002::", 16, "reserved"], // 6to4: reaches an IPv4 address we could not judge
  ["3fff::", 20, "reserved"], // documentation (RFC 9637)
];

function v4ToBigInt(ip: string): bigint {
  return ip.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** The 128-bit value of an IPv6 address (zone id dropped), or null when it is not one. */
export function v6ToBigInt(input: string): bigint | null {
  const ip = input.replace(/%.*$/, "");
  if (!isIPv6(ip)) return null;
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v = Number(v4ToBigInt(dotted[1]!));
    text = `${text.slice(0, dotted.index)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array<string>(8 - headParts.length - tailParts.length).fill("0");
  const groups = [...headParts, ...fill, ...tailParts];
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

const inBlock = (value: bigint, base: bigint, prefix: number, bits: number) =>
  value >> BigInt(bits - prefix) === base >> BigInt(bits - prefix);

function classifyV4(value: bigint): AddressKind {
  for (const [base, prefix, kind] of V4_BLOCKS) if (inBlock(value, v4ToBigInt(base), prefix, 32)) return kind;
  return "public";
}

function classifyV6(value: bigint): AddressKind {
  if (value === 0n) return "unspecified";
  if (value === 1n) return "loopback";
  const high96 = value >> 32n;
  const low32 = value & 0xffffffffn;
  if (high96 === 0xffffn || high96 === 0x64ff9b0000000000000000n || high96 === 0n) return classifyV4(low32);
  if (value >> 121n === 0x7en) return "unique-local"; // fc00::/7
  if (value >> 118n === 0x3fan) return "link-local"; // fe80::/10
  if (value >> 120n === 0xffn) return "multicast"; // ff00::/8
  if (value >> 125n !== 1n) return "reserved"; // outside 2000::/3 global unicast
  for (const [base, prefix, kind] of V6_BLOCKS) if (inBlock(value, v6ToBigInt(base)!, prefix, 128)) return kind;
  return "public";
}

/** What kind of address this is; only "public" may be reached by a public-internet policy. */
export function classifyAddress(address: string): AddressKind {
  const bare = address.replace(/^\[|\]$/g, "");
  if (isIPv4(bare)) return classifyV4(v4ToBigInt(bare));
  const v6 = v6ToBigInt(bare);
  return v6 === null ? "invalid" : classifyV6(v6);
}

export const isPublicAddress = (address: string) => classifyAddress(address) === "public";
