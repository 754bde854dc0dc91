import type { Kysely } from "kysely";

// Frozen in time: never import application code here.
// IDN-4 citizen certificate challenges (issue 5).
export async function up(_db: Kysely<any>): Promise<void> {}
