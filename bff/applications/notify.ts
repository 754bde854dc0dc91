import type { Tx } from "../../db/index.js";
import { agencyAdminIds } from "../accounts/agency-admins.js";
import { mailAddresses } from "../accounts/mail-address.js";
import { queueMail } from "../notifications/mail.js";
import { queuePush } from "../push/notify.js";
import { type ApplicationDeps, link, typeLabels } from "./deps.js";

/** Who reviews an application: its agency's admins, or the system admins when the agency has none. */
export type Reviewer = "agency_admin" | "sys_admin";

/** The enabled system admins: they review for an agency with no agency admin (11 of 13 seeded agencies). */
async function sysAdminIds(trx: Tx): Promise<number[]> {
  const rows = await trx
    .selectFrom("accounts")
    .select("id")
    .where("role", "=", "sys_admin")
    .where("status", "=", "enabled")
    .execute();
  return rows.map((r) => r.id);
}

/**
 * ACC-13: a new application tells the agency's admins at once, by push and mail (queued in
 * the submitting transaction; sent after commit); an agency with no enabled admin sends it to
 * the system admins instead (issue 17), and the caller tells the applicant which. No decision
 * from the notification: a review needs the mail-use confirmation and the effective time.
 */
export async function notifyReviewers(
  deps: ApplicationDeps,
  trx: Tx,
  app: { id: number; type: keyof typeof typeLabels; agencyId: number; name: string; username: string },
  now: Date,
  /** Distinguishes a later edit's notice from the first one. */
  round = "new",
): Promise<Reviewer> {
  const agencyAdmins = await agencyAdminIds(trx, app.agencyId);
  const reviewer: Reviewer = agencyAdmins.length > 0 ? "agency_admin" : "sys_admin";
  const admins = reviewer === "agency_admin" ? agencyAdmins : await sysAdminIds(trx);
  const what = `${typeLabels[app.type]}申請待審核`;
  await queuePush(
    trx,
    now,
    admins,
    {
      title: what,
      body: `${app.name}（${app.username}）`,
      url: `/admin/account-reviews?focus=${app.id}`,
      tag: `account-application-${app.id}`,
    },
    { ttl: 86_400, urgency: "normal" },
    `account-application:${app.id}:${round}`,
  );
  const addresses = await mailAddresses(trx, admins, deps.officialMailDomain);
  for (const [accountId, to] of addresses) {
    await queueMail(
      trx,
      now,
      {
        to,
        subject: `【公務入口網】${what}：${app.name}`,
        text: `${app.name}（${app.username}）送出「${typeLabels[app.type]}」申請，請至公務入口網「個人公務帳號審核」審核。\n${link(deps, `/admin/account-reviews?focus=${app.id}`)}`,
      },
      `account-application:${app.id}:${round}:${accountId}`,
    );
  }
  return reviewer;
}

/** Mail to an applicant about their application (their backup address, or official mail). */
export async function mailApplicant(
  deps: ApplicationDeps,
  trx: Tx,
  to: { accountId: number | null; backupEmail: string | null },
  msg: { subject: string; text: string },
  key: string,
  now: Date,
) {
  let address = to.backupEmail;
  if (to.accountId !== null) {
    const found = (await mailAddresses(trx, [to.accountId], deps.officialMailDomain)).get(to.accountId);
    address = found ?? address;
  }
  if (!address) return;
  await queueMail(trx, now, { to: address, subject: `【公務入口網】${msg.subject}`, text: msg.text }, key);
}
