// `npm run db:bulk -- 50000`: bulk accounts for benchmarks, into DATABASE_URL (or ./.data).
import { argon2Hasher } from "../../bff/auth/hashing.js";
import { loadConfig } from "../../bff/config.js";
import { openDatabase } from "../index.js";
import { migrateToLatest } from "../migrate.js";
import { generateBulk } from "./bulk.js";

const accounts = Number(process.argv[2] ?? 50_000);
const config = loadConfig();
const handle = await openDatabase({
  databaseUrl: config.DATABASE_URL,
  dataDir: config.dataDir,
  poolMax: 2,
  purpose: "seed",
});
try {
  await migrateToLatest(handle.db);
  const hash = await argon2Hasher({ memoryKiB: config.ARGON2_MEMORY_KIB, iterations: config.ARGON2_ITERATIONS }).hash(
    "Bulk#Password-2026",
  );
  const t0 = performance.now();
  await generateBulk(handle.db, {
    accounts,
    agencies: Math.max(1, Math.round(accounts / 1000)),
    passwordHash: hash,
    now: new Date(),
  });
  console.log(`${accounts} accounts in ${Math.round(performance.now() - t0)} ms (password: Bulk#Password-2026)`);
} finally {
  await handle.close();
}
