import type { Kysely } from "kysely";

// Frozen in time: never import application code here.
// IDN-5 Active Directory sync: managed objects, links, sync state (issue 5).
export async function up(_db: Kysely<any>): Promise<void> {}
