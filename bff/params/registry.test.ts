import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../ports/clock.js";
import { parseInput } from "../validation.js";
import {
  checkValue,
  defineParam,
  formatRange,
  formatValue,
  paramDefaults,
  paramKeys,
  paramRegistry,
  type ParamValues,
} from "./registry.js";
import { updateParamSchema } from "./schemas.js";
import { cachedParams, valuesFromRows } from "./store.js";

const invalid = (raw: Record<string, unknown>) => {
  try {
    parseInput(updateParamSchema, raw);
  } catch (e) {
    return e as { code: string; message: string; fields: Record<string, string> };
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
};

describe("system parameter registry (PRT-5)", () => {
  it("keeps today's four parameters, their defaults and units, and the clean-up date", () => {
    expect(paramDefaults()).toEqual({
      idle_disable_days: 180,
      password_max_age_days: 90,
      lockout_threshold: 5,
      lockout_cooldown_minutes: 15,
      file_cleanup_date: null,
      job_payload_retention_days: 30,
      crl_grace_hours: 24,
    });
    expect(paramRegistry.job_payload_retention_days).toMatchObject({ kind: "duration", unit: "天" });
    expect(paramRegistry.crl_grace_hours).toMatchObject({ kind: "duration", unit: "小時", min: 0, max: 168 });
    expect(paramRegistry.idle_disable_days).toMatchObject({ kind: "duration", unit: "天", label: "閒置停用天數" });
    expect(paramRegistry.lockout_cooldown_minutes).toMatchObject({ kind: "duration", unit: "分鐘" });
    expect(paramRegistry.lockout_threshold).toMatchObject({ kind: "number", unit: "次" });
    expect(paramRegistry.file_cleanup_date).toMatchObject({ kind: "date", optional: true });
    for (const key of paramKeys) {
      const def = paramRegistry[key];
      expect(def.label.length, key).toBeGreaterThan(0);
      expect(def.meaning, key).toMatch(/。$/);
      // Every default passes its own definition.
      expect(checkValue(def, def.default), key).toEqual({ ok: true, value: def.default });
    }
  });

  it("checks numbers: whole, in range, full-width digits accepted, messages in zh-TW", () => {
    const def = paramRegistry.idle_disable_days;
    expect(checkValue(def, " 200 ")).toEqual({ ok: true, value: 200 });
    expect(checkValue(def, "２００")).toEqual({ ok: true, value: 200 });
    expect(checkValue(def, 365)).toEqual({ ok: true, value: 365 });
    expect(checkValue(def, "")).toEqual({ ok: false, message: "請填寫閒置停用天數" });
    expect(checkValue(def, "12.5")).toEqual({ ok: false, message: "閒置停用天數請填整數" });
    expect(checkValue(def, "abc")).toEqual({ ok: false, message: "閒置停用天數請填整數" });
    expect(checkValue(def, "1e3")).toEqual({ ok: false, message: "閒置停用天數請填整數" });
    expect(checkValue(def, "29")).toEqual({ ok: false, message: "閒置停用天數須介於 30 到 3650 天" });
    expect(checkValue(def, "99999999999999999999")).toMatchObject({ ok: false });
    expect(checkValue(def, true)).toMatchObject({ ok: false });
  });

  it("checks dates: a real day in range, blank = none when optional", () => {
    const def = paramRegistry.file_cleanup_date;
    expect(checkValue(def, "2027-01-31")).toEqual({ ok: true, value: "2027-01-31" });
    expect(checkValue(def, "2027/01/31")).toEqual({ ok: true, value: "2027-01-31" });
    expect(checkValue(def, "")).toEqual({ ok: true, value: null });
    expect(checkValue(def, null)).toEqual({ ok: true, value: null });
    expect(checkValue(def, "2027-02-30")).toEqual({ ok: false, message: "檔案清理日期請填有效日期（例：2027-01-31）" });
    expect(checkValue(def, "2100-01-01")).toEqual({
      ok: false,
      message: "檔案清理日期須介於 2024-01-01 到 2099-12-31",
    });
    expect(checkValue(def, 20270131)).toMatchObject({ ok: false });
    const required = defineParam.date({
      label: "結算日",
      meaning: "m。",
      min: null,
      max: null,
      optional: false,
      default: "2027-01-01",
    });
    expect(checkValue(required, "")).toEqual({ ok: false, message: "請填寫結算日" });
    expect(formatRange(required)).toBe("任何日期");
  });

  it("checks text (for parameters to come): bounded, no control characters, blank only when optional", () => {
    const def = defineParam.text({ label: "公告標語", meaning: "m。", maxLength: 5, optional: false, default: "歡迎" });
    expect(checkValue(def, " 你好 ")).toEqual({ ok: true, value: "你好" });
    expect(checkValue(def, "")).toEqual({ ok: false, message: "請填寫公告標語" });
    expect(checkValue(def, "一二三四五六")).toEqual({ ok: false, message: "公告標語最多 5 個字" });
    expect(checkValue(def, "a\u0000b")).toEqual({ ok: false, message: "公告標語含有無法使用的字元" });
    expect(checkValue(def, 5)).toMatchObject({ ok: false });
    expect(checkValue({ ...def, optional: true }, "")).toEqual({ ok: true, value: "" });
    expect(formatValue(def, "")).toBe("（空白）");
    expect(formatRange({ ...def, optional: true })).toBe("最多 5 個字，可留空");
  });

  it("shows values and ranges with their unit", () => {
    expect(formatValue(paramRegistry.lockout_cooldown_minutes, 15)).toBe("15 分鐘");
    expect(formatRange(paramRegistry.lockout_threshold)).toBe("2 到 20 次");
    expect(formatValue(paramRegistry.file_cleanup_date, null)).toBe("未設定");
    expect(formatRange(paramRegistry.file_cleanup_date)).toBe("2024-01-01 到 2099-12-31，可留空（不設定）");
  });

  it("the update schema names the field that is wrong, per the parameter's own definition", () => {
    expect(parseInput(updateParamSchema, { key: "lockout_threshold", version: "3", value: "7" })).toEqual({
      key: "lockout_threshold",
      version: 3,
      value: 7,
    });
    expect(parseInput(updateParamSchema, { key: "file_cleanup_date", version: "0", value: "" })).toEqual({
      key: "file_cleanup_date",
      version: 0,
      value: null,
    });
    expect(invalid({ key: "lockout_threshold", version: "1", value: "99" })).toMatchObject({
      code: "invalid",
      message: "登入失敗鎖定次數須介於 2 到 20 次",
      fields: { value: "登入失敗鎖定次數須介於 2 到 20 次" },
    });
    expect(invalid({ key: "nope", version: "1", value: "5" }).fields).toEqual({ key: "請選擇有效的系統參數" });
    expect(invalid({ key: "__proto__", version: "1", value: "5" }).fields).toEqual({ key: "請選擇有效的系統參數" });
    expect(invalid({ key: "lockout_threshold", version: "x", value: "5" }).fields).toEqual({
      version: "頁面資料已過期，請重新整理後再試。",
    });
  });

  it("never throws anything but a DomainError(invalid) on hostile input", () => {
    fc.assert(
      fc.property(
        fc.record({
          key: fc.oneof(fc.constantFrom(...paramKeys, "constructor", "toString", ""), fc.string()),
          version: fc.oneof(fc.nat().map(String), fc.string(), fc.constant(undefined)),
          value: fc.oneof(
            fc.string(),
            fc.integer().map(String),
            fc.constant("x".repeat(10_000)),
            fc.constant(undefined),
          ),
        }),
        (raw) => {
          try {
            const out = parseInput(updateParamSchema, raw);
            expect(checkValue(paramRegistry[out.key], out.value)).toEqual({ ok: true, value: out.value });
          } catch (e) {
            expect(e).toMatchObject({ name: "DomainError", code: "invalid" });
            expect((e as Error).message).toMatch(/[\u4e00-\u9fff]/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads rows: unknown keys ignored, a value its definition refuses falls back to the default", () => {
    const values = valuesFromRows([
      { key: "idle_disable_days", value: 200 },
      { key: "lockout_threshold", value: "oops" },
      { key: "lockout_cooldown_minutes", value: 100_000 },
      { key: "file_cleanup_date", value: "2027-03-01" },
      { key: "retired_param", value: 1 },
    ]);
    expect(values).toEqual({
      idle_disable_days: 200,
      password_max_age_days: 90,
      lockout_threshold: 5,
      lockout_cooldown_minutes: 15,
      file_cleanup_date: "2027-03-01",
      job_payload_retention_days: 30,
      crl_grace_hours: 24,
    });
  });
});

describe("the app server's parameter cache", () => {
  function harness(ttlMs: number) {
    const clock = fixedClock(new Date("2026-12-01T02:00:00Z"));
    let stored: ParamValues = paramDefaults();
    let reads = 0;
    const cache = cachedParams({
      clock,
      ttlMs,
      load: async () => {
        reads++;
        return { ...stored };
      },
    });
    return {
      clock,
      cache,
      reads: () => reads,
      set: (v: Partial<ParamValues>) => {
        stored = { ...stored, ...v };
      },
    };
  }

  it("serves a value at most ttl old, then reads again", async () => {
    const h = harness(30_000);
    expect(await h.cache.get("lockout_threshold")).toBe(5);
    h.set({ lockout_threshold: 3 });
    h.clock.advance(29_999);
    expect(await h.cache.get("lockout_threshold")).toBe(5);
    expect(h.reads()).toBe(1);
    h.clock.advance(1);
    expect(await h.cache.get("lockout_threshold")).toBe(3);
    expect(h.reads()).toBe(2);
  });

  it("follows at once after invalidate(), and when the clock goes backwards", async () => {
    const h = harness(30_000);
    await h.cache.all();
    h.set({ idle_disable_days: 365 });
    h.cache.invalidate();
    expect(await h.cache.get("idle_disable_days")).toBe(365);
    h.set({ idle_disable_days: 400 });
    h.clock.advance(-1);
    expect(await h.cache.get("idle_disable_days")).toBe(400);
  });

  it("shares one read among concurrent callers, and ttl 0 reads every time", async () => {
    const h = harness(30_000);
    await Promise.all([h.cache.all(), h.cache.all(), h.cache.get("lockout_threshold")]);
    expect(h.reads()).toBe(1);
    const z = harness(0);
    await z.cache.all();
    await z.cache.all();
    expect(z.reads()).toBe(2);
  });

  it("does not keep a read that was under way when invalidate() was called", async () => {
    const clock = fixedClock(new Date("2026-12-01T02:00:00Z"));
    let release!: (v: ParamValues) => void;
    let reads = 0;
    const cache = cachedParams({
      clock,
      ttlMs: 30_000,
      load: () => {
        reads++;
        return reads === 1
          ? new Promise<ParamValues>((r) => (release = r))
          : Promise.resolve({ ...paramDefaults(), lockout_threshold: 9 });
      },
    });
    const slow = cache.all();
    cache.invalidate();
    release({ ...paramDefaults(), lockout_threshold: 4 });
    expect((await slow).lockout_threshold).toBe(4);
    expect(await cache.get("lockout_threshold")).toBe(9);
  });

  it("does not keep a failed read", async () => {
    const clock = fixedClock(new Date("2026-12-01T02:00:00Z"));
    let fail = true;
    const cache = cachedParams({
      clock,
      ttlMs: 30_000,
      load: async () => {
        if (fail) throw new Error("database down");
        return paramDefaults();
      },
    });
    await expect(cache.all()).rejects.toThrow("database down");
    fail = false;
    expect(await cache.get("password_max_age_days")).toBe(90);
  });
});
