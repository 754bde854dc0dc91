import type { ParamReader } from "../params/store.js";
import type { Database } from "../../db/index.js";
import type { PasswordHasher } from "../auth/hashing.js";
import type { DirectoryQueue } from "../directory/queue.js";
import type { Clock } from "../ports/clock.js";
import type { EmailCodes } from "./email-codes.js";

/** What every part of the applications feature is built from (bff/container.ts). */
export interface ApplicationDeps {
  db: Database;
  clock: Clock;
  hasher: PasswordHasher;
  directory: DirectoryQueue;
  codes: EmailCodes;
  officialMailDomain: string;
  /** PUBLIC_ORIGIN, for links in mail; relative paths when unset. */
  baseUrl?: string;
  /** PRT-5 system parameters (password age); read straight from the table when absent. */
  params?: ParamReader;
}

/** A request from someone not signed in: where from, for rate limits. */
export interface ClientMeta {
  ip: string;
  userAgent: string;
}

export const typeLabels = {
  activation: "帳號啟用",
  reactivation: "帳號復用",
  agency_change: "機關異動",
  role_change: "權限異動",
} as const;

export const resultLabels = {
  pending: "未審核",
  scheduled: "預約生效中",
  approved: "通過",
  rejected: "駁回",
} as const;

export const link = (deps: ApplicationDeps, path: string) => `${(deps.baseUrl ?? "").replace(/\/+$/, "")}${path}`;
