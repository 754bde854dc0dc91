// `npm run db:seed`: the demo organisation and accounts. On a real DATABASE_URL only with
// SEED_DEMO=1, so demo passwords never land silently in a production database.
import { argon2Hasher } from "../../bff/auth/hashing.js";
import { loadConfig } from "../../bff/config.js";
import { openDatabase } from "../index.js";
import { migrateToLatest } from "../migrate.js";
import { seedDemo } from "./demo.js";

const config = loadConfig();
if (!config.seedDemo) {
  console.error("Refusing to seed demo accounts into DATABASE_URL without SEED_DEMO=1.");
  process.exit(1);
}
const handle = await openDatabase({
  databaseUrl: config.DATABASE_URL,
  dataDir: config.dataDir,
  poolMax: 2,
  purpose: "seed",
});
try {
  await migrateToLatest(handle.db);
  const hasher = argon2Hasher({ memoryKiB: config.ARGON2_MEMORY_KIB, iterations: config.ARGON2_ITERATIONS });
  await seedDemo(handle.db, hasher.hash, new Date());
  console.log("demo data seeded");
} finally {
  await handle.close();
}
