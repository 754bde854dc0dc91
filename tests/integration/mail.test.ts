import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { queueMail } from "../../bff/notifications/mail.js";
import { testContainer } from "../helpers/container.js";

interface Received {
  from: string;
  to: string[];
  raw: string;
}

let smtp: SMTPServer;
let port: number;
const received: Received[] = [];
let failNext = 0;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
      stream.on("end", () => {
        if (failNext > 0) {
          failNext--;
          const err = Object.assign(new Error("Mailbox busy, try later"), { responseCode: 451 });
          return callback(err);
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  port = (smtp.server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

describe("mail over SMTP (SMTP_URL set)", () => {
  let c: Container;
  beforeAll(async () => {
    c = await testContainer({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
  });
  afterAll(() => c?.close());

  it("sends queued mail after commit with a stable Message-ID, and not to the dev mailbox", async () => {
    await c.db
      .transaction()
      .execute((trx) =>
        queueMail(
          trx,
          c.clock.now(),
          { to: "reviewer@example.tainan.gov.tw", subject: "審核通知", text: "您有一筆待審核申請。" },
          "smtp-1",
        ),
      );
    await c.worker.drain();
    expect(received).toHaveLength(1);
    expect(received[0]!.to).toEqual(["reviewer@example.tainan.gov.tw"]);
    expect(received[0]!.raw).toMatch(
      /Message-ID: <mail:smtp-1@portal\.tainan\.gov\.tw>|Message-ID: <mail_smtp-1@portal\.tainan\.gov\.tw>/i,
    );
    expect(await c.db.selectFrom("dev_mailbox").selectAll().execute()).toHaveLength(0);
    expect(c.services.devMailbox.enabled).toBe(false);
  });

  it("retries after the server refuses, then delivers", async () => {
    failNext = 1;
    await c.db
      .transaction()
      .execute((trx) =>
        queueMail(trx, c.clock.now(), { to: "a@example.tainan.gov.tw", subject: "重試", text: "x" }, "smtp-2"),
      );
    await c.worker.drain();
    const job = await c.db
      .selectFrom("jobs")
      .selectAll()
      .where("idempotency_key", "=", "mail:smtp-2")
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: "pending", attempts: 1 });
    expect(job.last_error).toContain("451");
    await c.db.updateTable("jobs").set({ run_at: c.clock.now() }).where("id", "=", job.id).execute();
    await c.worker.drain();
    expect(received.filter((r) => r.raw.includes("Subject:") && r.to[0] === "a@example.tainan.gov.tw")).toHaveLength(1);
  });
});

describe("dev mailbox (no SMTP_URL)", () => {
  it("is available outside production and absent in production on a real database", async () => {
    const c = await testContainer();
    try {
      expect(c.services.devMailbox.enabled).toBe(true);
    } finally {
      await c.close();
    }
    const { loadConfig } = await import("../../bff/config.js");
    expect(() => loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgresql://x@localhost/db" })).toThrow(
      /SMTP_URL/,
    );
  });
});
