import { describe, expect, it } from "vitest";
import { passwordProblems } from "./password-policy.js";

describe("password policy (at least AD's default complexity)", () => {
  it("accepts 12+ characters with three character classes", () => {
    expect(passwordProblems("Tainan#city2026", "wang.xm")).toEqual([]);
    expect(passwordProblems("tainancity#2026", "wang.xm")).toEqual([]);
  });
  it("refuses short passwords", () => {
    expect(passwordProblems("Ab#12345678", "x.y")).toContain("密碼長度至少 12 個字元");
  });
  it("refuses fewer than three classes", () => {
    expect(passwordProblems("abcdefghijkl1", "x.y")).toContain("密碼須包含大寫字母、小寫字母、數字、符號其中三種");
  });
  it("refuses a password containing the username, in any case", () => {
    expect(passwordProblems("My-WANG.XM-pass1", "wang.xm")).toContain("密碼不可包含帳號");
  });
});
