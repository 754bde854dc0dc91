import type { Container } from "../../bff/container.js";

/** The password every sign-in benchmark's accounts share. */
export const BENCH_PASSWORD = "Bench#Password-2026";

/**
 * `count` enabled accounts `<prefix>0 … <prefix>N-1` in one new agency, all with the same
 * argon2id hash (hashing once keeps set-up out of the measured work). Returns the hash.
 */
export async function seedSignInAccounts(
  c: Pick<Container, "db" | "hasher">,
  opts: { agencyName: string; prefix: string; count: number },
): Promise<string> {
  const agency = await c.db
    .insertInto("org_nodes")
    .values({ kind: "agency", name: opts.agencyName, mail_quota: 0 })
    .returning("id")
    .executeTakeFirstOrThrow();
  const hash = await c.hasher.hash(BENCH_PASSWORD);
  await c.db
    .insertInto("accounts")
    .values(
      Array.from({ length: opts.count }, (_, i) => ({
        username: `${opts.prefix}${i}`,
        name: `壓測${i}`,
        unit_id: agency.id,
        status: "enabled" as const,
        password_hash: hash,
        password_changed_at: new Date(),
      })),
    )
    .execute();
  return hash;
}
