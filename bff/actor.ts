import type { Role } from "../db/schema.js";
import { notFound } from "./errors.js";

/** Who is asking. Every BFF function that reads or writes on someone's behalf takes one. */
export interface Actor {
  accountId: number;
  username: string;
  name: string;
  role: Role;
  /** The nearest agency above the actor's unit (ORG-1). */
  agencyId: number;
  unitId: number;
  sessionId: string;
  /** Client address and agent, for audit rows. */
  ip: string;
}

export const isSysAdmin = (a: Actor) => a.role === "sys_admin";
export const isAgencyAdmin = (a: Actor) => a.role === "agency_admin";

/** An admin console (帳號管理, 預約管理 …): to anyone else it does not exist, the same 404 as a missing page. */
export function requireAdmin(actor: Actor): void {
  if (actor.role === "user") throw notFound();
}

/** A system-admin console (SSO clients, parameters, AD, jobs): to anyone else it does not exist. */
export function requireSysAdmin(actor: Actor): void {
  if (!isSysAdmin(actor)) throw notFound();
}
