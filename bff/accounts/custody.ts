import { inTransaction } from "../../db/transaction.js";
import { type Actor, requireAdmin } from "../actor.js";
import { createSlots } from "../custodians/slots.js";
import { DomainError } from "../errors.js";
import { escapeLike } from "../items/queries.js";
import { parseInput } from "../validation.js";
import { logChanges } from "./change-log.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import { custodyOf } from "./guards.js";
import * as schemas from "./schemas.js";
import { adminView } from "./target.js";

const search = schemas.keyword(30);

/**
 * Colleagues of the account's agency to hand custody to. Like every picker that may cross
 * agencies (a system admin's), it shows name, unit, title and official phone, nothing more.
 */
export async function colleagues(deps: AccountDeps, actor: Actor, ref: AccountRef, q: string | null) {
  const kw = search.parse(q);
  const account = await adminView(deps, actor, ref);
  let query = deps.db
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .select(["a.id", "a.name", "u.name as unitName", "a.title", "a.office_phone as officePhone"])
    .where("u.agency_id", "=", account.agencyId)
    .where("a.status", "=", "enabled")
    .where("a.id", "!=", account.id)
    .orderBy("a.name")
    .orderBy("a.id")
    .limit(20);
  if (kw) {
    const like = `%${escapeLike(kw)}%`;
    query = query.where((eb) =>
      eb.or([eb("a.name", "ilike", like), eb("u.name", "ilike", like), eb("a.title", "ilike", like)]),
    );
  }
  return query.execute();
}

/** The custodian slots (the custodian module) of a repair type, or of an item of any kind. */
function slotsFor(deps: AccountDeps, kind: string) {
  return kind === "repair_type"
    ? createSlots(deps, {
        owners: "repair_types",
        custodians: "repair_type_custodians",
        changes: "repair_custodian_changes",
        owner: "type_id",
        auditAction: "repair_type.custodian",
        auditTarget: "repair_type",
      })
    : createSlots(deps, {
        owners: "items",
        custodians: "item_custodians",
        changes: "custodian_changes",
        owner: "item_id",
        auditAction: "item.custodian",
        auditTarget: "item",
      });
}

/**
 * Hands one thing this account holds (an item's or a repair type's slot) to a colleague
 * of the same agency, through the custodian module (its change log and audit row).
 * Shared accounts are transferred on their own page (ACC-14).
 */
export async function transferCustody(
  deps: AccountDeps,
  actor: Actor,
  ref: AccountRef,
  raw: schemas.TransferCustodyInput,
) {
  requireAdmin(actor);
  const input = parseInput(schemas.transferCustody, raw);
  const { db, clock } = deps;
  const account = await adminView(deps, actor, ref);
  const held = await custodyOf(db, account.id);
  const item = held.find((h) => h.kind === input.custody.kind && h.id === input.custody.id);
  if (!item) throw new DomainError("invalid", "請選擇要移轉的保管項目。", { custody: "請選擇要移轉的保管項目" });
  const to = input.toAccountId;
  const colleague = await colleagueOf(deps, account, to);
  const slots = slotsFor(deps, item.kind);
  const holder = item.kind === "driver" ? "管理人" : "保管人";
  const reason = input.reason ?? `${account.name} 的保管移轉`;
  // The new custodian and this account's change log commit together.
  await inTransaction(db, async (trx) => {
    const owner = { id: item.id, agency_id: item.agencyId };
    await slots.setCustodian(actor, owner, holder, { slot: item.slot, accountId: to, reason }, trx);
    await logChanges(trx, {
      accountId: account.id,
      kind: "status",
      actorId: actor.accountId,
      at: clock.now(),
      // Before → after names who held it: 「第一會議室：王小明 → 第一會議室：陳大文」, never a blank side.
      changes: [
        {
          field: "保管移轉",
          before: `${item.name}：${account.name}`,
          after: `${item.name}：${colleague.name}`,
          note: `移轉給 ${colleague.name}`,
        },
      ],
    });
  });
}

/** The new holder: an enabled colleague of the same agency, not the account itself. */
async function colleagueOf({ db }: AccountDeps, account: { id: number; agencyId: number }, to: number) {
  const colleague = await db
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .select(["a.id", "a.name"])
    .where("a.id", "=", to)
    .where("a.status", "=", "enabled")
    .where("u.agency_id", "=", account.agencyId)
    .executeTakeFirst();
  if (!colleague || to === account.id)
    throw new DomainError("invalid", "保管人僅能移轉給同機關的在職同仁，請重新選擇。", {
      toAccountId: "請選擇同機關的同仁",
    });
  return colleague;
}
