import type { Database } from "../../db/index.js";
import type { Config } from "../config.js";
import { checkDataKey } from "./data-key-check.js";
import { type DataKey, dataKeySource, loadDataKey } from "./data-key.js";

/** The data key from configuration, checked against this database before anything is unsealed. */
export async function openDataKey(
  db: Database,
  now: Date,
  config: Pick<Config, "DATA_KEY" | "DATA_KEY_PREVIOUS" | "isProduction" | "embedded" | "NODE_ENV" | "dataDir">,
): Promise<DataKey> {
  const opts = {
    dataKey: config.DATA_KEY,
    previousDataKey: config.DATA_KEY_PREVIOUS,
    isProduction: config.isProduction,
    embedded: config.embedded,
    isTest: config.NODE_ENV === "test",
    dataDir: config.dataDir,
  };
  const key = loadDataKey(opts);
  await checkDataKey(db, key, now, dataKeySource(opts));
  return key;
}
