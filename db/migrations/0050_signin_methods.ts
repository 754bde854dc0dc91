import type { Kysely } from "kysely";

// Frozen in time: never import application code here.
// IDN-2/3, NTF-3: TOTP used codes, temporary passwords, phone codes (issue 5).
export async function up(_db: Kysely<any>): Promise<void> {}
