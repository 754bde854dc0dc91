// `npm run db:migrate`: brings the configured database (DATABASE_URL, else ./.data) up to date.
// `npm run db:migrate -- --checksums`: records a new migration's checksum in
// db/migrations/checksums.json (no database needed); released entries are never rewritten.
import { loadConfig } from "../bff/config.js";
import { openDatabase } from "./index.js";
import { migrate } from "./migrate.js";
import { addMissingChecksums } from "./migrations/checksums.js";
import { migrations } from "./migrations/index.js";

if (process.argv.includes("--checksums")) {
  const added = await addMissingChecksums(migrations);
  console.log(added.length ? `checksums recorded: ${added.join(", ")}` : "every migration has its checksum");
} else {
  const config = loadConfig();
  const handle = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    poolMax: 2,
    purpose: "migrate",
  });
  try {
    const { applied, newer } = await migrate(handle.db);
    console.log(applied.length ? `applied: ${applied.join(", ")}` : "already up to date");
    // A later release migrated this database (rolling deploy or rollback): fine, ADR 21.
    if (newer.length) console.log(`left alone (a later release's): ${newer.join(", ")}`);
  } finally {
    await handle.close();
  }
}
