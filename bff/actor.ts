import type { Role } from "../db/schema.js";

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
