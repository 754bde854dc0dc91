import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Validation stays on the server (ADR 5): zod is ~90 KB gzip and the phone routes' first load
 * must stay ≤ 110 KB. A route or component that imports a bff/ schema would pull zod into the
 * browser build; this fails then. The global setup has just built public/build.
 */
describe("browser bundle", () => {
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? files(p) : p.endsWith(".js") ? [p] : [];
    });

  it("ships no zod", () => {
    const js = files(path.resolve("public/build"));
    expect(js.length).toBeGreaterThan(10);
    const withZod = js.filter((f) => /\$ZodType|ZodError/.test(fs.readFileSync(f, "utf8")));
    expect(withZod).toEqual([]);
  });
});
