import type { Kysely } from "kysely";

// Frozen in time: never import application code here.
// ACC-14/15 agency and mail-system accounts (issue 6).
export async function up(_db: Kysely<any>): Promise<void> {}
