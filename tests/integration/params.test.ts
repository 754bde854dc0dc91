import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../bff/config.js";
import { type Container, createContainer } from "../../bff/container.js";
import { checkValue, isParamKey, paramRegistry, type ParamKey } from "../../bff/params/registry.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { silentLogger, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";
import { getAs, postAs, signInOverHttp } from "../helpers/http-session.js";

/**
 * PRT-5 系統參數管理 over HTTP, on two app servers sharing one database (NFR-1): a change
 * made on server A is in force on server B within the cache's bound, without a restart.
 * The servers share a hand-moved clock, so the bound is tested without waiting for it.
 */
const env = { PARAMS_CACHE_SECONDS: "30", ARGON2_MEMORY_KIB: "1024", ARGON2_ITERATIONS: "1" };
const clock = fixedClock(new Date());
let a: Container, b: Container;
let serverA: { url: string; close(): Promise<void> }, serverB: { url: string; close(): Promise<void> };
let sys: MadeAccount, sys2: MadeAccount, agencyAdmin: MadeAccount, user: MadeAccount;
const cookies = new Map<MadeAccount, string>();

const get = (who: MadeAccount | undefined, path: string, server = serverA) =>
  getAs(server.url, who ? cookies.get(who) : undefined, path);
const post = (who: MadeAccount | undefined, fields: Record<string, string>, server = serverA) =>
  postAs(server.url, who ? cookies.get(who) : undefined, "/admin/params", new URLSearchParams(fields));
/** React separates adjacent text with comments in server HTML. */
const text = async (res: Response) => (await res.text()).replace(/<!-- -->/g, "");

async function row(key: ParamKey) {
  return a.db.selectFrom("system_params").select(["value", "version"]).where("key", "=", key).executeTakeFirst();
}
const versionOf = async (key: ParamKey) => String((await row(key))?.version ?? 0);

beforeAll(async () => {
  a = await testContainer({ clock, env });
  // A second app server: its own container (and parameter cache) and HTTP server, same database.
  b = await createContainer(loadConfig({ NODE_ENV: "test", WORKER: "off", DATA_DIR: "/nonexistent", ...env }), {
    db: { db: a.db, kind: a.dbKind, close: async () => undefined },
    clock,
    logger: silentLogger,
  });
  serverA = await startTestServer(a);
  serverB = await startTestServer(b);
  const agency = await makeAgency(a, "參數測試局");
  const unit = await makeUnit(a, agency.id, "資訊科");
  sys = await makeAccount(a, { unitId: unit.id, role: "sys_admin", name: "林系統" });
  sys2 = await makeAccount(a, { unitId: unit.id, role: "sys_admin", name: "陳系統" });
  agencyAdmin = await makeAccount(a, { unitId: unit.id, role: "agency_admin", name: "王機關" });
  user = await makeAccount(a, { unitId: unit.id, name: "張同仁" });
  for (const who of [sys, sys2, agencyAdmin, user]) cookies.set(who, await signInOverHttp(serverA.url, who));
});
afterAll(async () => {
  await serverA?.close();
  await serverB?.close();
  await b?.close();
  await a?.close();
});

describe("系統參數管理 across two app servers", () => {
  it("a change saved on server A is in force on server B within the cache's bound", async () => {
    // Server B has read its parameters (as any sign-in would).
    expect(await b.services.params.get("lockout_threshold")).toBe(5);

    const res = await post(sys, {
      key: "lockout_threshold",
      version: await versionOf("lockout_threshold"),
      value: "3",
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/params");
    expect(res.headers.get("set-cookie")).toContain("portal_flash=");

    // Server A follows at once; B still serves its copy, which is younger than the bound.
    expect(await a.services.params.get("lockout_threshold")).toBe(3);
    clock.advance(29_000);
    expect(await b.services.params.get("lockout_threshold")).toBe(5);
    clock.advance(1_000);
    expect(await b.services.params.get("lockout_threshold")).toBe(3);

    // And B's sign-in uses it: the third wrong password locks the account.
    const victim = await makeAccount(a, { unitId: user.unitId });
    const wrong = () =>
      postAs(
        serverB.url,
        undefined,
        "/login",
        new URLSearchParams({ username: victim.username, password: "Wrong#Passw0rd-1" }),
      );
    await wrong();
    await wrong();
    const third = await text(await wrong());
    // ADR 0025: the answer does not say so (unknown, wrong and locked read alike); the console does.
    expect(third).toContain("帳號或密碼錯誤，或帳號暫時無法登入");
    const locked = await a.db
      .selectFrom("accounts")
      .select("login_permission")
      .where("id", "=", victim.id)
      .executeTakeFirstOrThrow();
    expect(locked.login_permission).toBe("locked");
  });

  it("shows the flash after the redirect, the new value, and the change in 系統參數異動紀錄 (audited)", async () => {
    const res = await post(sys, {
      key: "idle_disable_days",
      version: await versionOf("idle_disable_days"),
      value: "365",
    });
    expect(res.status).toBe(303);
    const flash = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
    const page = await text(
      await fetch(`${serverA.url}/admin/params`, { headers: { Cookie: `${cookies.get(sys)!}; ${flash}` } }),
    );
    expect(page).toContain("已更新「閒置停用天數」");
    expect(page).toContain("系統參數異動紀錄");
    expect(page).toContain("180 天 → 365 天");
    expect(page).toMatch(/林系統（t\.[0-9a-f]+）/);
    expect(page).toContain("365 天");

    const audit = await a.db
      .selectFrom("audit_log")
      .selectAll()
      .where("target_type", "=", "system_param")
      .where("target_id", "=", "idle_disable_days")
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ action: "system_param.update", actor_id: sys.id });
    expect(audit.detail).toEqual({ label: "閒置停用天數", before: 180, after: 365 });
    expect((await row("idle_disable_days"))?.value).toBe(365);
  });

  it("lists every parameter with its meaning, value and unit, range and default", async () => {
    const res = await get(sys, "/admin/params");
    expect(res.status).toBe(200);
    const page = await text(res);
    expect(page).toContain('<h1 class="page-title">系統參數管理</h1>');
    for (const def of Object.values(paramRegistry)) {
      expect(page).toContain(def.label);
      expect(page).toContain(def.meaning);
    }
    expect(page).toContain("1 到 1440 分鐘");
    expect(page).toContain("2024-01-01 到 2099-12-31，可留空（不設定）");
    expect(page).toContain("未設定");
  });

  it("is for system admins only: an agency admin and a user get 404, a visitor the sign-in", async () => {
    for (const who of [agencyAdmin, user]) {
      expect((await get(who, "/admin/params")).status).toBe(404);
      const before = await row("lockout_cooldown_minutes");
      const res = await post(who, {
        key: "lockout_cooldown_minutes",
        version: String(before?.version ?? 0),
        value: "30",
      });
      expect(res.status).toBe(404);
      expect(await row("lockout_cooldown_minutes")).toEqual(before);
    }
    const visitor = await get(undefined, "/admin/params");
    expect(visitor.status).toBe(302);
    expect(visitor.headers.get("location")).toContain("/login");
  });

  it("wrong type, out of range or empty: a zh-TW message beside the field, input kept, nothing changed", async () => {
    const cases: [ParamKey, string, string][] = [
      ["password_max_age_days", "abc", "密碼使用期限請填整數"],
      ["password_max_age_days", "10", "密碼使用期限須介於 30 到 3650 天"],
      ["password_max_age_days", "", "請填寫密碼使用期限"],
      ["lockout_cooldown_minutes", "1.5", "鎖定時間請填整數"],
      ["file_cleanup_date", "2027-02-30", "檔案清理日期請填有效日期（例：2027-01-31）"],
      ["file_cleanup_date", "1999-01-01", "檔案清理日期須介於 2024-01-01 到 2099-12-31"],
    ];
    for (const [key, value, message] of cases) {
      const before = await row(key);
      const res = await post(sys, { key, version: await versionOf(key), value });
      expect(res.status, `${key}=${value}`).toBe(400);
      const page = await text(res);
      expect(page).toContain(`<p class="field-error" id="param-${key}-error">${message}</p>`);
      expect(page).toMatch(new RegExp(`id="param-${key}"[^>]*value="${value.replace(/\./g, "\\.")}"`));
      expect(await row(key)).toEqual(before);
    }
    const count = await a.db
      .selectFrom("audit_log")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("target_id", "=", "password_max_age_days")
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it("the clean-up date (never saved before) can be set and cleared again", async () => {
    expect(await row("file_cleanup_date")).toBeUndefined();
    const set = await post(sys, { key: "file_cleanup_date", version: "0", value: "2027-06-30" });
    expect(set.status).toBe(303);
    expect(await row("file_cleanup_date")).toEqual({ value: "2027-06-30", version: 1 });
    expect(await a.services.params.get("file_cleanup_date")).toBe("2027-06-30");
    const cleared = await post(sys, { key: "file_cleanup_date", version: "1", value: "" });
    expect(cleared.status).toBe(303);
    expect(await row("file_cleanup_date")).toEqual({ value: null, version: 2 });
    expect(await a.services.params.get("file_cleanup_date")).toBeNull();
    const page = await text(await get(sys, "/admin/params"));
    expect(page).toContain("2027-06-30 → 未設定");
  });

  it("a save drawn from a stale page is refused (409), never overwriting the other admin's change", async () => {
    const stale = await versionOf("lockout_cooldown_minutes");
    expect((await post(sys2, { key: "lockout_cooldown_minutes", version: stale, value: "20" })).status).toBe(303);
    const res = await post(sys, { key: "lockout_cooldown_minutes", version: stale, value: "45" });
    expect(res.status).toBe(409);
    expect(await text(res)).toContain("「鎖定時間」已由其他管理者改為 20 分鐘，請確認目前設定後再儲存。");
    expect((await row("lockout_cooldown_minutes"))?.value).toBe(20);
  });

  it("two admins saving at once on two servers: exactly one wins, the other is told", async () => {
    const version = Number(await versionOf("password_max_age_days"));
    const actorA = (await signInAs(a, sys)).actor;
    const actorB = (await signInAs(b, sys2)).actor;
    const results = await Promise.allSettled([
      a.services.params.update(actorA, { key: "password_max_age_days", version: String(version), value: "60" }),
      b.services.params.update(actorB, { key: "password_max_age_days", version: String(version), value: "120" }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: "conflict" });
    const after = await row("password_max_age_days");
    expect(after?.version).toBe(version + 1);
    const audits = await a.db
      .selectFrom("audit_log")
      .select("detail")
      .where("target_id", "=", "password_max_age_days")
      .execute();
    expect(audits).toHaveLength(1);
    expect((audits[0]!.detail as { after: number }).after).toBe(after?.value);
  });

  it("hostile input is never a 5xx and never leaves a value its definition refuses", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...Object.keys(paramRegistry), "__proto__", "constructor", ""),
          fc.string({ maxLength: 20 }),
        ),
        fc.oneof(fc.constantFrom("0", "1", "2", "-1", "999999999999"), fc.string({ maxLength: 12 })),
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.integer().map(String),
          fc.constantFrom(
            "x".repeat(10_000),
            "2027-13-01",
            "１２",
            "1e9",
            "<script>alert(1)</script>",
            "\u0000",
            "NaN",
          ),
        ),
        async (key, version, value) => {
          const res = await post(sys, { key, version, value });
          expect([303, 400, 409], JSON.stringify({ key, version, value })).toContain(res.status);
          await res.arrayBuffer();
        },
      ),
      { numRuns: 40 },
    );
    for (const r of await a.db.selectFrom("system_params").select(["key", "value"]).execute()) {
      if (isParamKey(r.key)) expect(checkValue(paramRegistry[r.key], r.value), r.key).toMatchObject({ ok: true });
    }
  });
});
