import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { createDatabase, createPool, startEmbedded } from "../../db/index.js";
import { migrateToLatest } from "../../db/migrate.js";
import { provisionTemplate, sambaMissing } from "./samba.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Real PostgreSQL: the template database's name. PGlite: the path of a data-dir tarball. */
    dbTemplate: string;
    /** Names this run's per-file databases so the teardown drops exactly those. */
    runId: string;
    /** IDN-5: the provisioned Samba AD template folder, or "" with the reason in sambaMissing. */
    sambaTemplate: string;
    sambaMissing: string;
  }
}

/**
 * Migrates one template database for the whole run; each test file then copies it
 * (`CREATE DATABASE … TEMPLATE` on PostgreSQL, a data-dir tarball on PGlite), which is
 * far cheaper than migrating per file.
 */
export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL;
  project.provide("runId", String(process.pid));
  const samba = sambaTemplate(project);
  if (url) {
    const name = `portal_tpl_${process.pid}`;
    await adminQuery(url, `DROP DATABASE IF EXISTS ${name}`);
    await adminQuery(url, `CREATE DATABASE ${name}`);
    const db = createDatabase(createPool(withDatabase(url, name), 2), { strict: true });
    await migrateToLatest(db);
    await db.destroy();
    // A template must have no connections while it is copied.
    await adminQuery(url, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    project.provide("dbTemplate", name);
    buildAppForBrowserTests();
    const removeSamba = await samba;
    return async () => {
      removeSamba();
      await adminQuery(url, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      // The per-file copies of this run (named after this process, see tests/helpers/db.ts).
      const client = new pg.Client({ connectionString: url });
      // The failing query reports a lost connection; an "error" event nobody hears would end the run.
      client.on("error", () => undefined);
      await client.connect();
      try {
        const { rows } = await client.query<{ datname: string }>(
          "SELECT datname FROM pg_database WHERE datname LIKE $1",
          [`portal\\_t\\_${process.pid}\\_%`],
        );
        for (const r of rows) await client.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    };
  }
  const embedded = await startEmbedded(undefined);
  await migrateToLatest(createDatabase(embedded.pool, { strict: true }));
  const blob = await embedded.dump();
  await embedded.stop();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portal-tpl-")), "template.tar");
  fs.writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  project.provide("dbTemplate", file);
  buildAppForBrowserTests();
  const removeSamba = await samba;
  return () => {
    removeSamba();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  };
}

/**
 * IDN-5: one Samba AD domain provisioned per run (7-9 s, alongside the database template),
 * copied by each AD suite. Without Samba the AD suites skip (or fail under REQUIRE_ALL).
 */
async function sambaTemplate(project: TestProject): Promise<() => void> {
  const missing = sambaMissing();
  project.provide("sambaMissing", missing ?? "");
  if (missing) {
    project.provide("sambaTemplate", "");
    return () => undefined;
  }
  // A run of named files without an AD suite (tests/**/directory*.test.ts) skips the 8 s.
  const files = process.argv.filter((a) => /\.test\.ts$/.test(a));
  if (files.length > 0 && !files.some((f) => f.includes("directory"))) {
    project.provide("sambaTemplate", "");
    return () => undefined;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-samba-tpl-"));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    await provisionTemplate(path.join(dir, "dc"));
  } catch (err) {
    // The AD suites then skip with this reason (or fail under REQUIRE_ALL); the rest runs.
    project.provide("sambaMissing", `Samba provisioning failed: ${(err as Error).message.slice(0, 300)}`);
    project.provide("sambaTemplate", "");
    return remove;
  }
  project.provide("sambaTemplate", path.join(dir, "dc"));
  return remove;
}

/** HTTP and browser tests serve the production build; build it once for the run. */
function buildAppForBrowserTests() {
  if (process.env.SKIP_BUILD === "1" && fs.existsSync("build/index.js")) return;
  execFileSync("npm", ["run", "build"], { stdio: ["ignore", "ignore", "inherit"] });
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  // The failing query reports a lost connection; an "error" event nobody hears would end the run.
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
