// `npm run keys:rotate-oidc`: makes new single sign-on signing keys. They are published
// at once (every app server within KEY_CACHE_SECONDS) and sign only after the publish
// delay, OIDC_KEY_PUBLISH_DELAY_SECONDS (default 3600), so relying parties have fetched
// them first; the keys they replace stay published until their tokens have expired.
// No restart is needed. See docs/decisions/0010-oidc-keys.md.
import { loadConfig } from "../bff/config.js";
import { openDataKey } from "../bff/oidc/open-data-key.js";
import { ensureSigningKeys, rotateSigningKeys } from "../bff/oidc/keys.js";
import { KEY_CACHE_SECONDS, RETIRED_KEY_KEEP_SECONDS } from "../bff/oidc/provider.js";
import { openDatabase } from "../db/index.js";

const DEFAULT_DELAY = 3600;
const raw = process.env.OIDC_KEY_PUBLISH_DELAY_SECONDS;
const delay = raw === undefined || raw === "" ? DEFAULT_DELAY : Number(raw);
// Below two server cache periods a server could sign with a key another has not published yet.
if (!Number.isInteger(delay) || delay < 2 * KEY_CACHE_SECONDS) {
  console.error(`OIDC_KEY_PUBLISH_DELAY_SECONDS: a whole number of seconds, at least ${2 * KEY_CACHE_SECONDS}`);
  process.exit(2);
}

const config = loadConfig();
const handle = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir, poolMax: 2 });
try {
  const now = new Date();
  const dataKey = await openDataKey(handle.db, now, config);
  // A database no server has started on yet gets its first keys (signing at once) first,
  // so that the new ones wait their delay behind them as after any other rotation.
  await ensureSigningKeys(handle.db, dataKey, now);
  const r = await rotateSigningKeys(handle.db, dataKey, now, {
    publishDelaySeconds: delay,
    retiredKeepSeconds: RETIRED_KEY_KEEP_SECONDS,
  });
  console.log(
    [
      `new keys ${r.kids.join(", ")}: published within ${KEY_CACHE_SECONDS} s, signing from ${r.signFrom.toISOString()}`,
      `the keys signing now stop then and stay published ${RETIRED_KEY_KEEP_SECONDS} s more`,
      r.deleted.length > 0 ? `deleted keys retired long enough ago: ${r.deleted.join(", ")}` : "",
    ]
      .filter(Boolean)
      .join("\n"),
  );
} catch (e) {
  // A wrong DATA_KEY (or a database away) is a message for the operator, not a stack.
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  await handle.close();
}
