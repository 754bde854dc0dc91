import type { Kysely } from "kysely";

// Frozen in time: never import application code here.
// ACC-10/11/12 change logs (issue 6).
export async function up(_db: Kysely<any>): Promise<void> {}
