import type { Database, Tx } from "../../db/index.js";
import type { Role } from "../../db/schema.js";
import type { DirectoryQueue } from "../directory/queue.js";
import { DomainError } from "../errors.js";
import { logChanges } from "./change-log.js";
import { leaveBlocks } from "./guards.js";
import { writeRole } from "./role-write.js";
import { type ChangeAuthor, auditAs, lockAgenciesOf, throwBlocks } from "./status.js";

/**
 * A unit's name as people read it in a log or a picker: its parent units below the agency
 * (「智慧發展中心 › 駐府人員」), or for the agency node itself 「研考會（機關本部）」 — a
 * person may belong to the agency directly, and that is never shown as blank.
 */
export async function unitPath(db: Database, unitId: number): Promise<string> {
  const names: string[] = [];
  let id: number | null = unitId;
  for (let depth = 0; id !== null && depth < 10; depth++) {
    const node: { name: string; kind: string; parent_id: number | null } | undefined = await db
      .selectFrom("org_nodes")
      .select(["name", "kind", "parent_id"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!node) break;
    if (node.kind === "agency") {
      if (names.length === 0) names.push(`${node.name}（機關本部）`);
      break;
    }
    names.unshift(node.name);
    id = node.parent_id;
  }
  return names.join(" › ");
}

/** An active unit (or agency node) with its agency, or undefined. */
export async function activeUnit(db: Database, unitId: number) {
  return db
    .selectFrom("org_nodes as u")
    .innerJoin("org_nodes as ag", "ag.id", "u.agency_id")
    .select(["u.id", "u.kind", "u.agency_id as agencyId", "ag.name as agencyName"])
    .where("u.id", "=", unitId)
    .where("u.active", "=", true)
    .executeTakeFirst();
}

/**
 * ACC-4/8: an 機關管理者 role never travels to another agency. Resets it to 一般使用者 in the
 * caller's transaction (sessions carry the old role, so they end), logged and audited.
 */
export async function resetRoleOnLeave(
  trx: Tx,
  input: { accountId: number; from: Role; at: Date; author: ChangeAuthor },
): Promise<boolean> {
  if (input.from !== "agency_admin") return false;
  await writeRole(trx, {
    ...input,
    from: "agency_admin",
    to: "user",
    note: "調至其他機關：機關管理者權限不隨同移轉",
    reason: "agency_change",
  });
  return true;
}

/** Refuses a move out of the agency while the ACC-4 guards block it (the agency must be locked). */
export async function checkLeaving(db: Database, accountId: number, links = true) {
  const blocks = await leaveBlocks(db, [accountId], "move");
  if (blocks.length > 0) throwBlocks(blocks, "move", links);
}

export interface UnitMove {
  accountId: number;
  unitId: number;
  title: string;
  note: string;
  at: Date;
  author: ChangeAuthor;
  /**
   * The agency the move may cross into (a system admin's move, an approved 機關異動);
   * without it only a unit of the account's own agency is accepted.
   */
  toAgencyId?: number | null;
  /** An approved application's confirmed mail use. */
  needsOfficialMail?: boolean;
  /** Whether a refusal links to the account's 帳號狀態 tab (not for a reviewer of another agency). */
  links?: boolean;
}

/**
 * ACC-12 隸屬機關(單位) and ACC-8 機關異動, in the caller's transaction: the unit and title,
 * the unit change log (real names before → after) and the AD change. Leaving the agency
 * passes the ACC-4 guards under the agency lock and drops an 機關管理者 role.
 */
export async function applyUnit(trx: Tx, directory: DirectoryQueue, input: UnitMove) {
  await lockAgenciesOf(trx, [input.accountId]);
  const current = await trx
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .innerJoin("org_nodes as ag", "ag.id", "u.agency_id")
    .select(["a.unit_id", "a.title", "a.role", "u.agency_id as agencyId", "ag.name as agencyName"])
    .where("a.id", "=", input.accountId)
    .forUpdate("a")
    .executeTakeFirstOrThrow();
  const target = await activeUnit(trx, input.unitId);
  const leaves = target !== undefined && target.agencyId !== current.agencyId;
  if (!target || (leaves && target.agencyId !== input.toAgencyId))
    throw new DomainError("conflict", "調入單位已不屬於此機關，無法異動。", { unitId: "請重新選擇調入單位" });
  if (leaves) await checkLeaving(trx, input.accountId, input.links ?? true);
  const [before, after] = await Promise.all([unitPath(trx, current.unit_id), unitPath(trx, input.unitId)]);
  await trx
    .updateTable("accounts")
    .set({
      unit_id: input.unitId,
      title: input.title,
      ...(input.needsOfficialMail === undefined ? {} : { needs_official_mail: input.needsOfficialMail }),
      updated_at: input.at,
    })
    .where("id", "=", input.accountId)
    .execute();
  const note = input.note;
  await logChanges(trx, {
    accountId: input.accountId,
    kind: "unit",
    actorId: input.author.actorId,
    at: input.at,
    scheduledChangeId: input.author.scheduledChangeId,
    changes: [
      ...(leaves ? [{ field: "隸屬機關", before: current.agencyName, after: target.agencyName, note }] : []),
      { field: "隸屬單位", before, after, note },
      { field: "職稱", before: current.title, after: input.title, note },
    ],
  });
  if (leaves)
    await resetRoleOnLeave(trx, { accountId: input.accountId, from: current.role, at: input.at, author: input.author });
  await directory.accountChanged(trx, { accountId: input.accountId, at: input.at, by: input.author.actorId });
  await auditAs(trx, input.author, input.at, {
    action: "account.unit",
    targetId: input.accountId,
    detail: {
      fromUnit: current.unit_id,
      toUnit: input.unitId,
      fromTitle: current.title,
      toTitle: input.title,
      ...(leaves ? { fromAgency: current.agencyId, toAgency: target.agencyId } : {}),
    },
  });
}
