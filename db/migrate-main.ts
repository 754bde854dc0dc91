// `npm run db:migrate`: brings the configured database (DATABASE_URL, else ./.data) up to date.
import { loadConfig } from "../bff/config.js";
import { openDatabase } from "./index.js";
import { migrateToLatest } from "./migrate.js";

const config = loadConfig();
const handle = await openDatabase({
  databaseUrl: config.DATABASE_URL,
  dataDir: config.dataDir,
  poolMax: 2,
  purpose: "migrate",
});
try {
  const applied = await migrateToLatest(handle.db);
  console.log(applied.length ? `applied: ${applied.join(", ")}` : "already up to date");
} finally {
  await handle.close();
}
