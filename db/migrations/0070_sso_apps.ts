import type { Kysely } from "kysely";

// Frozen in time: never import application code here.
// IDN-6/8 integration applications and the app list (issue 8).
export async function up(_db: Kysely<any>): Promise<void> {}
