import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../actor.js";

export type Eb = ExpressionBuilder<DB & { sa: DB["shared_accounts"] }, "sa">;
export type Scope = (eb: Eb) => Expression<SqlBool>;

export const isAdmin = (actor: Actor) => actor.role === "sys_admin" || actor.role === "agency_admin";

/** The admin console's scope: a system admin every agency, an agency admin their own, others nothing. */
export const administered =
  (actor: Actor): Scope =>
  (eb) =>
    actor.role === "sys_admin"
      ? eb.lit(true)
      : actor.role === "agency_admin"
        ? eb("sa.agency_id", "=", actor.agencyId)
        : eb.lit(false);

/** 我的機關及資訊系統帳號管理: the ones I hold. */
export const heldByMe =
  (actor: Actor): Scope =>
  (eb) =>
    eb("sa.custodian_account_id", "=", actor.accountId);

/** Either: what the holder and the admins may both do (password reset, custodian transfer). */
export const heldOrAdministered =
  (actor: Actor): Scope =>
  (eb) =>
    eb.or([heldByMe(actor)(eb), administered(actor)(eb)]);
