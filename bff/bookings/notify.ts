import type { Tx } from "../../db/index.js";
import { mailAddresses } from "../accounts/mail-address.js";
import { queueMail } from "../notifications/mail.js";
import type { PushOptions } from "../ports/push.js";
import { type PushNotification, queuePush } from "../push/notify.js";
import type { BookingDeps } from "./deps.js";

export interface BookingNotice {
  push: PushNotification;
  pushOptions: PushOptions;
  /** Idempotency key of the push job; the mail's is `mailKey(accountId)`. */
  key: string;
  mailKey: (accountId: number) => string;
  subject: string;
  text: string;
}

/**
 * Tells accounts about a booking by push and by mail (to their official address, if any), as
 * jobs in the caller's transaction: nothing is sent unless it commits.
 */
export async function notifyAccounts(deps: BookingDeps, trx: Tx, now: Date, accountIds: number[], n: BookingNotice) {
  await queuePush(trx, now, accountIds, n.push, n.pushOptions, n.key);
  const addresses = await mailAddresses(trx, accountIds, deps.officialMailDomain);
  for (const [accountId, to] of addresses) {
    await queueMail(trx, now, { to, subject: n.subject, text: n.text }, n.mailKey(accountId));
  }
}
