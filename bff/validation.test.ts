import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DomainError } from "./errors.js";
import { field, idOr404, parseId, parseInput, whenValid } from "./validation.js";

/** The refusal parseInput throws, or a failure when it does not throw. */
function refusal(schema: z.ZodType, raw: unknown): DomainError {
  try {
    parseInput(schema, raw);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error("expected a refusal");
}

describe("parseInput", () => {
  const schema = z.object({
    name: field.text("名稱", 10),
    count: field.int("數量", 1, 5),
    contact: z.object({ phone: field.text("電話", 20) }),
  });

  it("returns the parsed output when everything is right", () => {
    expect(parseInput(schema, { name: " 會議室 ", count: "3", contact: { phone: "06-1234" } })).toEqual({
      name: "會議室",
      count: 3,
      contact: { phone: "06-1234" },
    });
  });

  it("keys the messages by the form field's name, nested paths joined with '.'", () => {
    const e = refusal(schema, { name: "", count: "9", contact: {} });
    expect(e.code).toBe("invalid");
    expect(e.fields).toEqual({ name: "請填寫名稱", count: "數量須介於 1 到 5", "contact.phone": "請填寫電話" });
    expect(e.message).toBe("資料有誤，請修正標示的欄位。");
  });

  it("one field wrong: its message is the summary too", () => {
    const e = refusal(schema, { name: "好", count: "x", contact: { phone: "1" } });
    expect(e.fields).toEqual({ count: "數量請填寫 1 到 5 的整數" });
    expect(e.message).toBe("數量請填寫 1 到 5 的整數");
  });

  it("the first message of a field wins (the schema lists its checks most useful first)", () => {
    const s = z.object({
      code: z
        .string()
        .min(3, { error: "至少 3 個字" })
        .regex(/^\d+$/, { error: "只能是數字" })
        .refine(() => false, { error: "永遠不對" }),
    });
    expect(refusal(s, { code: "a" }).fields).toEqual({ code: "至少 3 個字" });
    expect(refusal(s, { code: "abc" }).fields).toEqual({ code: "只能是數字" });
    expect(refusal(s, { code: "123" }).fields).toEqual({ code: "永遠不對" });
  });

  it("a refusal of the whole input (not an object) is keyed _form, in zh-TW", () => {
    const e = refusal(schema, "not a form");
    expect(Object.keys(e.fields)).toEqual(["_form"]);
    expect(e.fields._form).toMatch(/[\u4e00-\u9fff]/);
  });

  it("uses the summary it is given", () => {
    expect(refusal(schema, {}).message).toBe("資料有誤，請修正標示的欄位。");
    try {
      parseInput(schema, {}, "請檢查表單");
    } catch (e) {
      expect((e as DomainError).message).toBe("請檢查表單");
    }
  });
});

describe("field.id", () => {
  const id = field.id("請選擇");
  it("accepts 1 … 999,999,999 as digits or a number, trimmed", () => {
    expect(id.parse("1")).toBe(1);
    expect(id.parse(" 42 ")).toBe(42);
    expect(id.parse(7)).toBe(7);
    expect(id.parse("999999999")).toBe(999_999_999);
    expect(id.parse("000000001")).toBe(1);
  });
  it("refuses 0, negatives, ten digits, decimals, exponents, blanks and non-strings with its message", () => {
    for (const bad of [
      "0",
      "000",
      "-1",
      "1000000000",
      "1.5",
      "1e3",
      "",
      " ",
      "１２",
      "0x10",
      null,
      undefined,
      1.5,
      -3,
      0,
      {},
      [],
    ]) {
      const r = id.safeParse(bad);
      expect(r.success, String(bad)).toBe(false);
      expect(r.error?.issues[0]?.message).toBe("請選擇");
    }
  });
  it("parseId: the same rule as number | null for lookups", () => {
    expect(parseId("12")).toBe(12);
    expect(parseId(12)).toBe(12);
    expect(parseId("0")).toBeNull();
    expect(parseId("1000000000")).toBeNull();
    expect(parseId(1e10)).toBeNull();
    expect(parseId("'; DROP TABLE items;--")).toBeNull();
  });
  it("optionalId: blank is null, anything else must be an id", () => {
    const o = field.optionalId("請重選");
    expect(o.parse("")).toBeNull();
    expect(o.parse(undefined)).toBeNull();
    expect(o.parse(" ")).toBeNull();
    expect(o.parse("5")).toBe(5);
    expect(o.safeParse("x").error?.issues[0]?.message).toBe("請重選");
  });
  it("ids: a list, one value or blank; duplicates dropped; one message for anything wrong or too many", () => {
    const ids = field.ids("選擇有誤", 3);
    expect(ids.parse(["1", "2", "2", 3])).toEqual([1, 2, 3]);
    expect(ids.parse("4")).toEqual([4]);
    expect(ids.parse("")).toEqual([]);
    expect(ids.parse(undefined)).toEqual([]);
    expect(ids.safeParse(["1", "x"]).error?.issues.map((i) => [i.path, i.message])).toEqual([[[], "選擇有誤"]]);
    expect(ids.safeParse(["1", "2", "3", "4"]).error?.issues[0]?.message).toBe("選擇有誤");
    expect(ids.safeParse({ a: 1 }).error?.issues[0]?.message).toBe("選擇有誤");
  });
});

describe("field.text", () => {
  const text = field.text("名稱", 5);
  it("trims; blank or missing is 請填寫", () => {
    expect(text.parse("  好  ")).toBe("好");
    expect(text.safeParse("   ").error?.issues[0]?.message).toBe("請填寫名稱");
    expect(text.safeParse(undefined).error?.issues[0]?.message).toBe("請填寫名稱");
    expect(text.safeParse(42).error?.issues[0]?.message).toBe("請填寫名稱");
  });
  it("too long names the limit and the count", () => {
    expect(text.safeParse("六個字的名稱").error?.issues[0]?.message).toBe("名稱最多 5 個字（目前 6 個字）");
  });
  it("refuses control characters and lone surrogates", () => {
    for (const bad of ["a\u0000b", "a\u001bb", "a\u007fb", "a\nb", "a\tb", "a\ud800b", "a\udc00"])
      expect(text.safeParse(bad).error?.issues[0]?.message, JSON.stringify(bad)).toBe("名稱含有無法使用的字元");
    expect(text.parse("😀")).toBe("😀");
  });
  it("multiline keeps line breaks and tabs (CR LF becomes LF) but still refuses other control characters", () => {
    const area = field.text("描述", 50, { multiline: true });
    expect(area.parse("第一行\r\n第二行\r第三行\t完")).toBe("第一行\n第二行\n第三行\t完");
    expect(area.safeParse("a\u0000b").error?.issues[0]?.message).toBe("描述含有無法使用的字元");
    expect(area.safeParse("a\u000bb").error?.issues[0]?.message).toBe("描述含有無法使用的字元");
  });
  it("optionalText: blank is null; the same limits", () => {
    const o = field.optionalText("備註", 3);
    expect(o.parse("")).toBeNull();
    expect(o.parse(undefined)).toBeNull();
    expect(o.parse(" 短 ")).toBe("短");
    expect(o.safeParse("四個字呀").error?.issues[0]?.message).toBe("備註最多 3 個字（目前 4 個字）");
    expect(o.safeParse("\u0000").error?.issues[0]?.message).toBe("備註含有無法使用的字元");
  });
});

describe("field.int", () => {
  const int = field.int("人數", 1, 100);
  it("accepts whole numbers in range, typed or given", () => {
    expect(int.parse("1")).toBe(1);
    expect(int.parse(" 100 ")).toBe(100);
    expect(int.parse(50)).toBe(50);
  });
  it("blank or missing is 請填寫; not a whole number names the range; out of range says so", () => {
    expect(int.safeParse("").error?.issues[0]?.message).toBe("請填寫人數");
    expect(int.safeParse(undefined).error?.issues[0]?.message).toBe("請填寫人數");
    for (const bad of ["abc", "1.5", "1e2", "0x10", "١٢"])
      expect(int.safeParse(bad).error?.issues[0]?.message, bad).toBe("人數請填寫 1 到 100 的整數");
    for (const bad of ["0", "101", "-5", 1.5, 1000])
      expect(int.safeParse(bad).error?.issues[0]?.message, String(bad)).toBe("人數須介於 1 到 100");
  });
});

describe("field.time, day, yesNo, choice, checkbox", () => {
  it("time: H:MM, HH:MM or HH:MM:00 as HH:MM; anything else is its message", () => {
    const t = field.time("請選擇時間");
    expect(t.parse("8:00")).toBe("08:00");
    expect(t.parse("23:59")).toBe("23:59");
    expect(t.parse("07:30:00")).toBe("07:30");
    for (const bad of ["24:00", "12:60", "7", "07:30:15", "", "早上", undefined, 800])
      expect(t.safeParse(bad).error?.issues[0]?.message, String(bad)).toBe("請選擇時間");
  });
  it("day: a real calendar day", () => {
    const d = field.day("日期有誤");
    expect(d.parse("2028-02-29")).toBe("2028-02-29");
    for (const bad of ["2027-02-29", "2026-13-01", "2026-1-1", "", 20260101])
      expect(d.safeParse(bad).success, String(bad)).toBe(false);
  });
  it("yesNo: the radios' true / false", () => {
    const y = field.yesNo("請選擇");
    expect(y.parse("true")).toBe(true);
    expect(y.parse("false")).toBe(false);
    expect(y.parse(false)).toBe(false);
    expect(y.safeParse("yes").error?.issues[0]?.message).toBe("請選擇");
    expect(y.safeParse(undefined).error?.issues[0]?.message).toBe("請選擇");
  });
  it('checkbox: ticked is "on" (or true), anything else is not', () => {
    const box = field.checkbox();
    expect(box.parse("on")).toBe(true);
    expect(box.parse(true)).toBe(true);
    for (const v of [undefined, "", "off", "true", 1]) expect(box.parse(v)).toBe(false);
  });
  it("choice", () => {
    const c = field.choice(["a", "b"], "請選擇一項");
    expect(c.parse("a")).toBe("a");
    expect(c.safeParse("c").error?.issues[0]?.message).toBe("請選擇一項");
  });
});

describe("whenValid (cross-field rules beside field messages)", () => {
  const range = z
    .object({ from: field.int("起", 0, 10), to: field.int("迄", 0, 10), note: field.text("備註", 5) })
    .refine((v) => v.from < v.to, { path: ["to"], error: "迄須大於起", when: whenValid("from", "to") });

  it("runs when the fields it reads parsed, even though another field failed", () => {
    expect(refusal(range, { from: "5", to: "2", note: "" }).fields).toEqual({ note: "請填寫備註", to: "迄須大於起" });
  });
  it("stays quiet when the whole input is not an object (no crash reading its fields)", () => {
    for (const raw of [null, "x", 42, []]) expect(Object.keys(refusal(range, raw).fields)).toEqual(["_form"]);
  });
  it("stays quiet when a field it reads failed (that field's own message is enough)", () => {
    expect(refusal(range, { from: "x", to: "2", note: "好" }).fields).toEqual({ from: "起請填寫 0 到 10 的整數" });
  });
});

describe("idOr404 (an id a use case acts on)", () => {
  it("is the id when it parses", () => {
    expect(idOr404("42")).toBe(42);
    expect(idOr404(7)).toBe(7);
  });
  it("is the same not_found as a missing row when it does not, or the caller's own refusal", () => {
    for (const bad of ["", "abc", "0", "-1", "1e3", "9".repeat(12), null, undefined, {}]) {
      expect(() => idOr404(bad)).toThrow(expect.objectContaining({ code: "not_found" }));
    }
    const mine = () => new DomainError("not_found", "找不到這筆背景作業");
    expect(() => idOr404("x", mine)).toThrow("找不到這筆背景作業");
  });
});

describe("list filters from a URL: keyword, page, filter (never refused)", () => {
  const query = z.object({ q: field.keyword(5), page: field.page(100), state: field.filter(["a", "b"]) });
  it("keeps what reads", () => {
    expect(query.parse({ q: " 會議 ", page: "3", state: "b" })).toEqual({ q: "會議", page: 3, state: "b" });
  });
  it("falls back to no filter and page 1 for anything else", () => {
    expect(query.parse({})).toEqual({ q: "", page: 1, state: "" });
    expect(query.parse({ q: "a\u0000bcdefgh", page: "abc", state: "c" })).toEqual({ q: "abcde", page: 1, state: "" });
    for (const page of ["0", "-2", "101", {}, null]) expect(query.parse({ page }).page).toBe(1);
    expect(query.parse({ page: "2.7" }).page).toBe(2);
  });
});
