import type { Database } from "../../db/index.js";
import { mailAddresses } from "../accounts/mail-address.js";
import type { PasswordHasher } from "../auth/hashing.js";
import { DomainError } from "../errors.js";
import type { ParamReader } from "../params/store.js";
import type { Clock } from "../ports/clock.js";

export interface SharedDeps {
  db: Database;
  clock: Clock;
  hasher: PasswordHasher;
  dataKey: Buffer;
  officialMailDomain: string;
  /** PRT-5 system parameters (lockout); read straight from the table when absent. */
  params?: ParamReader;
}

/** Where the custodian reads mail, or a zh-TW refusal: a password with nowhere to go is no reset. */
export async function custodianAddress(db: Database, d: SharedDeps, custodianId: number) {
  const to = (await mailAddresses(db, [custodianId], d.officialMailDomain)).get(custodianId);
  if (!to)
    throw new DomainError(
      "invalid",
      "保管人沒有可收信的電子郵件信箱（公務信箱或備用信箱），無法寄送密碼，請先補上保管人的信箱。",
    );
  return to;
}
