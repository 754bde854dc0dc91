// `npm run keys:rotate-data-key`: re-seals every secret in the database with DATA_KEY,
// opening what DATA_KEY_PREVIOUS sealed. Run it after every app server and worker runs
// with DATA_KEY=new and DATA_KEY_PREVIOUS=old; drop DATA_KEY_PREVIOUS only once this
// reports nothing unreadable. See docs/decisions/0010-oidc-keys.md.
import { loadConfig } from "../bff/config.js";
import { resealAll } from "../bff/oidc/data-key-rotation.js";
import { loadDataKey } from "../bff/oidc/data-key.js";
import { openDatabase } from "../db/index.js";

const config = loadConfig();
if (!config.DATA_KEY || !config.DATA_KEY_PREVIOUS) {
  console.error("Set DATA_KEY (the new key) and DATA_KEY_PREVIOUS (the old one) to rotate the data key.");
  process.exit(2);
}
const key = loadDataKey({
  dataKey: config.DATA_KEY,
  previousDataKey: config.DATA_KEY_PREVIOUS,
  isProduction: config.isProduction,
  embedded: config.embedded,
  isTest: false,
  dataDir: config.dataDir,
});
const handle = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir, poolMax: 2 });
try {
  const report = await resealAll(handle.db, key);
  console.log(JSON.stringify({ resealed: report.resealed, alreadyCurrent: report.current }));
  if (report.unreadable.length > 0) {
    console.error(
      `${report.unreadable.length} value(s) open with neither DATA_KEY nor DATA_KEY_PREVIOUS and were left as they are:\n  ` +
        report.unreadable.slice(0, 50).join("\n  "),
    );
    process.exitCode = 1;
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  await handle.close();
}
