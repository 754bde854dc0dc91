import type { Kysely } from "kysely";

// Frozen in time: never import application code here.
// ACC-1/2/3/6/7/8/13 applications and e-mail codes (issue 6).
export async function up(_db: Kysely<any>): Promise<void> {}
