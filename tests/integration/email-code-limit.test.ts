import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CODES_PER_ADDRESS, CODES_PER_IP, RATE_LIMITED } from "../../bff/applications/email-codes.js";
import type { Container } from "../../bff/container.js";
import { testContainer } from "../helpers/container.js";

/**
 * Issue 14 item 6: the e-mail code limits (5 an hour per address, 20 per client address) hold
 * under concurrency — the count and the insert no longer race (advisory locks per address).
 */
let c: Container;
beforeAll(async () => {
  c = await testContainer();
});
afterAll(() => c?.close());

const mailsTo = async (to: string) =>
  (
    await c.db
      .selectFrom("jobs")
      .select("id")
      .where("kind", "=", "mail.send")
      .where(sql<string>`payload->>'to'`, "=", to)
      .execute()
  ).length;

const request = (email: string, ip: string) =>
  c.services.applications.signedOut
    .requestCode("apply", { email }, { ip, userAgent: "vitest" })
    .then(() => "sent" as const)
    .catch((e: { code: string; message: string }) => e);

describe("e-mail code limit under concurrency (issue 14 item 6)", () => {
  it("30 concurrent requests for one address send exactly 5 codes; the rest are told to wait", async () => {
    const email = `burst.${Date.now()}@example.org`;
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => request(email, `198.51.100.${i + 1}`)));
    expect(results.filter((r) => r === "sent")).toHaveLength(CODES_PER_ADDRESS);
    expect(results.filter((r) => r !== "sent")).toEqual(
      Array(30 - CODES_PER_ADDRESS).fill(expect.objectContaining({ code: "rate_limited", message: RATE_LIMITED })),
    );
    expect(await mailsTo(email)).toBe(CODES_PER_ADDRESS);
  });

  it("30 concurrent requests from one client address get exactly 20 codes", async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => request(`ip.${i}.${Date.now()}@example.org`, "203.0.113.99")),
    );
    expect(results.filter((r) => r === "sent")).toHaveLength(CODES_PER_IP);
  });
});
