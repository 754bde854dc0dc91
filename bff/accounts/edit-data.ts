import { inTransaction } from "../../db/transaction.js";
import { type Actor, requireAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import { parseInput } from "../validation.js";
import { logChanges } from "./change-log.js";
import { dataDiff } from "./data.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import * as schemas from "./schemas.js";
import { type AccountRow, manageable } from "./target.js";

/** The columns 帳號資料 edits, as they are now. */
const dataOf = (a: AccountRow) => ({
  name: a.name,
  office_phone: a.office_phone,
  office_ext: a.office_ext,
  work_address: a.work_address,
  needs_official_mail: a.needs_official_mail,
  backup_email: a.backup_email,
  mobile: a.mobile,
  citizen_card_no: a.citizen_card_no,
});

/** ACC-12 帳號資料: an admin edits the official data; each changed field is logged before → after. */
export async function updateData(deps: AccountDeps, actor: Actor, ref: AccountRef, raw: schemas.UpdateDataInput) {
  requireAdmin(actor);
  const next = parseInput(schemas.updateData, raw);
  const { db, clock, directory } = deps;
  const account = await manageable(deps, actor, ref, "帳號資料");
  const diff = dataDiff(dataOf(account), next);
  if (diff.length === 0) return { changed: 0 };
  if (next.citizen_card_no) await cardFree(deps, next.citizen_card_no, account.id);
  const now = clock.now();
  await inTransaction(db, async (trx) => {
    await trx
      .updateTable("accounts")
      .set({
        ...next,
        // A new mobile number has not been verified yet.
        mobile_verified_at: next.mobile === account.mobile ? account.mobile_verified_at : null,
        updated_at: now,
      })
      .where("id", "=", account.id)
      .execute();
    await logChanges(trx, { accountId: account.id, kind: "data", actorId: actor.accountId, at: now, changes: diff });
    await directory.accountChanged(trx, { accountId: account.id, at: now, by: actor.accountId });
    await writeAudit(trx, actor, now, {
      action: "account.data",
      targetType: "account",
      targetId: account.id,
      detail: { fields: diff.map((d) => d.field) },
    });
  });
  return { changed: diff.length };
}

/** A citizen certificate belongs to one person: refused when another account holds the card. */
async function cardFree({ db }: AccountDeps, card: string, accountId: number) {
  const taken = await db
    .selectFrom("accounts")
    .select("id")
    .where("citizen_card_no", "=", card)
    .where("id", "!=", accountId)
    .executeTakeFirst();
  if (taken)
    throw new DomainError("invalid", "此自然人憑證卡號已由其他帳號使用。", {
      citizenCardNo: "此自然人憑證卡號已由其他帳號使用",
    });
}
