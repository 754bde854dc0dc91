import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { migrationChecksum, type MigrationList } from "../migrate.js";

/**
 * db/migrations/checksums.json: the checksum of every released migration, committed so that
 * changing one is a visible, failing change (tests/unit/migrations.test.ts) rather than a
 * database refused at the next deploy. The runtime computes checksums itself; this file is
 * the promise that they never move.
 */
export const checksumsFile = fileURLToPath(new URL("./checksums.json", import.meta.url));

export function readChecksums(): Record<string, string> {
  return JSON.parse(fs.readFileSync(checksumsFile, "utf8")) as Record<string, string>;
}

export async function computeChecksums(list: MigrationList): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(list).sort()) out[name] = await migrationChecksum(list[name]!);
  return out;
}

/** Adds the migrations that have no entry yet; never rewrites one (released means frozen). */
export async function addMissingChecksums(list: MigrationList): Promise<string[]> {
  const current = fs.existsSync(checksumsFile) ? readChecksums() : {};
  const computed = await computeChecksums(list);
  const added = Object.keys(computed).filter((n) => !(n in current));
  if (added.length === 0) return [];
  const merged: Record<string, string> = { ...current };
  for (const n of added) merged[n] = computed[n]!;
  const sorted = Object.fromEntries(
    Object.keys(merged)
      .sort()
      .map((k) => [k, merged[k]!]),
  );
  fs.writeFileSync(checksumsFile, `${JSON.stringify(sorted, null, 2)}\n`);
  return added;
}
