import type { Database } from "../db/index.js";

/** PRT-5 system parameters and the values used when a row is missing. */
export const paramDefaults = {
  idle_disable_days: 180,
  password_max_age_days: 90,
  lockout_threshold: 5,
  lockout_cooldown_minutes: 15,
} as const;

export type ParamKey = keyof typeof paramDefaults;
export type Params = { [K in ParamKey]: number };

export async function readParams(db: Database): Promise<Params> {
  const rows = await db.selectFrom("system_params").select(["key", "value"]).execute();
  const params: Params = { ...paramDefaults };
  for (const row of rows) {
    if (row.key in paramDefaults && typeof row.value === "number") params[row.key as ParamKey] = row.value;
  }
  return params;
}
