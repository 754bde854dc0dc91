import type { Database } from "../../db/index.js";
import type { PasswordHasher } from "../auth/hashing.js";
import type { DirectoryQueue } from "../directory/queue.js";
import type { ParamReader } from "../params/store.js";
import type { Clock } from "../ports/clock.js";

/** What every use case of the account console is built from (bff/container.ts). */
export interface AccountDeps {
  db: Database;
  clock: Clock;
  directory: DirectoryQueue;
  /** For 重設密碼 only: it hashes the temporary password and seals it in the mail job. */
  hasher?: PasswordHasher;
  dataKey?: Buffer;
  /** PRT-5 system parameters (password age). */
  params: ParamReader;
}

/** An account id as a route or a test passes it: the URL's text, or a number. */
export type AccountRef = string | number | undefined;
