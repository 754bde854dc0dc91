import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { auditActionLabel, auditActionLabels, auditTargetLabel, auditTargetLabels } from "./audit-labels.js";

const bffDir = path.dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.ts$/.test(e.name) && !/\.(test|d)\.ts$/.test(e.name) ? [p] : [];
  });
}

/** A line that writes an audit row, names its action, or calls a wrapper that does. */
const ACTION_LINE = /action|audit|logChange/i;
const TARGET_LINE = /targetType|auditTarget|AUDIT_TARGET/;
/** A code: a first word of three letters or more (so "aa.id", "l.action" column names are not codes). */
const CODE = /^[a-z][a-z_]{2,}(\.[a-z_-]+|\.?\$\{[^}]*\})+$|^\$\{[^}]*\}(\.[a-z_-]+)+$/;

/**
 * Every string and template literal on the audit lines of bff/ that looks like an action code.
 * Template literals (`account_application.${d.decision}`) come back as patterns.
 */
function collect() {
  const actions = new Map<string, string>();
  const targets = new Map<string, string>();
  for (const file of sources(bffDir)) {
    const rel = path.relative(bffDir, file);
    if (rel === "audit-labels.ts") continue;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (ACTION_LINE.test(line)) {
        for (const m of line.matchAll(/"([^"\n]*)"|`([^`\n]*)`/g)) {
          const lit = m[1] ?? m[2] ?? "";
          if (CODE.test(lit)) actions.set(lit, rel);
        }
      }
      if (TARGET_LINE.test(line)) {
        for (const m of line.matchAll(/"([a-z_]+)"/g)) targets.set(m[1]!, rel);
      }
    }
  }
  return { actions, targets };
}

const asPattern = (template: string) =>
  new RegExp(
    `^${template
      .replace(/\$\{[^}]*\}/g, "\0")
      .replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")
      .replace(/\0/g, "[a-z_.-]+")}$`,
  );

describe("audit labels (PRT-5, ACC-19)", () => {
  const { actions, targets } = collect();

  it("finds the codes written across bff/ (the scan itself works)", () => {
    expect(actions.size).toBeGreaterThan(50);
    expect([...actions.keys()]).toContain("oidc_client.rotate_secret");
    expect([...actions.keys()]).toContain("account.batch-disable.schedule");
    expect([...targets.keys()]).toContain("account_application");
  });

  it("every audit action code written in bff/ has a zh-TW label", () => {
    const known = [...Object.keys(auditActionLabels), ...actions.keys()].filter((c) => !c.includes("${"));
    const missing = [...actions].filter(([code]) =>
      code.includes("${")
        ? !known.some((k) => asPattern(code).test(k) && auditActionLabel(k) !== k)
        : auditActionLabel(code) === code,
    );
    expect(missing.map(([code, file]) => `${code} (${file})`)).toEqual([]);
  });

  it("every audit target type written in bff/ has a zh-TW label", () => {
    const missing = [...targets].filter(([t]) => !auditTargetLabels[t]);
    expect(missing.map(([t, file]) => `${t} (${file})`)).toEqual([]);
  });

  it("reads as the manual writes it", () => {
    expect(auditTargetLabel("account_application", "5", "陳新人")).toBe("帳號申請 #5（陳新人）");
    expect(auditActionLabel("oidc_client.rotate_secret")).toBe("重新產生用戶端密鑰");
    expect(auditActionLabel("account.batch-disable.schedule")).toBe("批次停用（預約）");
    expect(auditActionLabel("account.status.schedule")).toBe("變更帳號狀態（預約）");
    expect(auditActionLabel("no.such-code")).toBe("no.such-code");
  });
});
