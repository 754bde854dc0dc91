import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mitakeSms, parseMitakeAnswer } from "../../bff/adapters/mitake-sms.js";
import type { Container } from "../../bff/container.js";
import { queueSms } from "../../bff/notifications/mail.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import { type FakeMitake, startFakeMitake } from "../helpers/fake-mitake.js";

const credentials = { username: "tainan-portal", password: "S3cret&pw=1" };
const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let fake: FakeMitake;
let c: Container;

beforeAll(async () => {
  fake = await startFakeMitake(credentials);
  c = await testContainer({
    clock,
    env: { MITAKE_URL: fake.url, MITAKE_USERNAME: credentials.username, MITAKE_PASSWORD: credentials.password },
  });
});
afterAll(async () => {
  await c?.close();
  await fake?.close();
});

const sendJob = async (to: string, text: string, key: string) => {
  await c.db.transaction().execute((trx) => queueSms(trx, clock.now(), { to, text }, key));
  await c.worker.drain();
  return c.db.selectFrom("jobs").selectAll().where("idempotency_key", "=", `sms:${key}`).executeTakeFirstOrThrow();
};

describe("Mitake SMS adapter (NTF-3)", () => {
  it("posts SmSend with the account, number, UTF-8 text and a clientid; the fake finds nothing wrong", async () => {
    const before = fake.requests.length;
    const job = await sendJob("0912345678", "【臺南市政府】您的驗證碼：123456\n請勿外流", "t1");
    expect(job.state).toBe("done");
    const [req] = fake.requests.slice(before);
    expect(req).toMatchObject({
      method: "POST",
      path: "/api/mtk/SmSend",
      query: { CharsetURL: "UTF-8" },
      params: {
        username: credentials.username,
        password: credentials.password,
        dstaddr: "0912345678",
        // Mitake's line break is ASCII 6.
        smbody: "【臺南市政府】您的驗證碼：123456\u0006請勿外流",
      },
    });
    expect(req!.params.clientid).toMatch(/^[0-9a-f]{32}$/);
    expect(fake.problems).toEqual([]);
    // No SMS went to the dev mailbox: Mitake is configured.
    expect(
      await c.db.selectFrom("dev_mailbox").select("id").where("to_address", "=", "0912345678").execute(),
    ).toHaveLength(0);
  });

  it("a failure status is an error the job retries, with the same clientid, until Mitake accepts", async () => {
    fake.failNext("a");
    fake.failNext({ http: 503 });
    const before = fake.requests.length;
    let job = await sendJob("0922333444", "重試測試", "t2");
    expect(job).toMatchObject({ state: "pending", attempts: 1 });
    expect(job.last_error).toContain("statuscode=a");
    expect(job.last_error).not.toContain(credentials.password);
    clock.advance(60_000);
    await c.worker.drain();
    job = await c.db.selectFrom("jobs").selectAll().where("id", "=", job.id).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: "pending", attempts: 2 });
    expect(job.last_error).toContain("HTTP 503");
    clock.advance(5 * 60_000);
    await c.worker.drain();
    job = await c.db.selectFrom("jobs").selectAll().where("id", "=", job.id).executeTakeFirstOrThrow();
    expect(job.state).toBe("done");
    const ids = fake.requests.slice(before).map((r) => r.params.clientid);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
  });

  it("refuses wrong credentials (statuscode e) and an unreachable gateway as errors", async () => {
    const wrong = mitakeSms({ url: fake.url, username: "someone", password: "wrong" });
    const err = await wrong.send({ to: "0912345678", text: "x" }, { db: c.db, idempotencyKey: "k1" }).catch((e) => e);
    expect(err.message).toContain("statuscode=e");
    const away = mitakeSms({ url: "http://127.0.0.1:9/api/mtk/SmSend", ...credentials, timeoutMs: 2000 });
    const gone = await away.send({ to: "0912345678", text: "x" }, { db: c.db, idempotencyKey: "k2" }).catch((e) => e);
    expect(gone.message).toMatch(/unreachable/);
    expect(gone.message).not.toContain(credentials.password);
  });

  it("reads Mitake's answer lines", () => {
    expect(parseMitakeAnswer("[1]\r\nmsgid=#000000123\r\nstatuscode=1\r\nAccountPoint=98\r\nDuplicate=Y\r\n")).toEqual({
      msgid: "#000000123",
      statuscode: "1",
      AccountPoint: "98",
      Duplicate: "Y",
    });
  });
});
