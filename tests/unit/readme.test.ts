import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../bff/config.js";

describe("README.md", () => {
  const readme = fs.readFileSync("README.md", "utf8");

  it("starts with exactly the two commands", () => {
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
    expect(blocks.slice(0, 2)).toEqual(["npm install && npm start", "npm test"]);
    expect(readme.indexOf("```sh")).toBeLessThan(readme.indexOf("## "));
  });

  it("documents every configuration setting", () => {
    const table = readme.slice(readme.indexOf("## Configuration"));
    for (const key of Object.keys(configSchema.shape)) expect(table, key).toContain(`| \`${key}\` |`);
  });

  it("lists every demo account", async () => {
    const { demoAccounts, DEMO_PASSWORD } = await import("../../db/seed/demo-data.js");
    expect(readme).toContain(DEMO_PASSWORD);
    for (const a of demoAccounts) expect(readme).toContain(`| \`${a.username}\` |`);
  });
});
