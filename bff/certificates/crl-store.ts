import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import { type Crl, issuerText, revokedEntries, type RevokedEntry } from "./crl.js";

/** Rows per INSERT: bounds each statement (statement timeout) and the arrays held at once. */
const BATCH = 5_000;

export type CrlSourceOrigin = "config" | "certificate";

/** Makes sure these URLs are sources (a card named them, or the configuration lists them). */
export async function ensureSources(db: Database, urls: readonly string[], origin: CrlSourceOrigin, now: Date) {
  if (urls.length === 0) return;
  await db
    .insertInto("cert_crl_sources")
    .values(urls.map((url) => ({ url, origin, created_at: now })))
    .onConflict((oc) => oc.column("url").doNothing())
    .execute();
}

export interface StoredCrl {
  entries: number;
  thisUpdate: string;
  /** False when the list was the one already stored (same number and thisUpdate). */
  replaced: boolean;
}

/**
 * Stores a verified CRL for `url` in the caller's transaction: every server sees the new list
 * at commit, never half of it. A list older than the stored one is refused (a replayed old
 * list would un-revoke cards); the same list again only marks the fetch.
 */
export async function storeCrl(trx: Tx, url: string, crl: Crl, caFingerprint: string, now: Date): Promise<StoredCrl> {
  const stored = await trx
    .selectFrom("cert_crl_sources")
    .select(["this_update", "crl_number", "ca_fingerprint"])
    .where("url", "=", url)
    .forUpdate()
    .executeTakeFirst();
  const base = { entries: crl.entries, thisUpdate: crl.thisUpdate.toISOString() };
  const sameCa = stored?.ca_fingerprint === caFingerprint;
  if (sameCa && stored?.this_update && stored.this_update > crl.thisUpdate) {
    throw new Error(`the list fetched (thisUpdate ${base.thisUpdate}) is older than the one stored`);
  }
  const header = {
    ca_fingerprint: caFingerprint,
    ca_subject: issuerText(crl),
    this_update: crl.thisUpdate,
    next_update: crl.nextUpdate,
    crl_number: crl.crlNumber,
    entries: crl.entries,
    fetched_at: now,
    last_attempt_at: now,
    last_error: null,
  };
  const same =
    sameCa && stored?.this_update?.getTime() === crl.thisUpdate.getTime() && stored.crl_number === crl.crlNumber;
  await trx
    .insertInto("cert_crl_sources")
    .values({ url, origin: "certificate", created_at: now, ...header })
    .onConflict((oc) => oc.column("url").doUpdateSet(header))
    .execute();
  if (!same) {
    await trx.deleteFrom("cert_revoked").where("url", "=", url).execute();
    await insertEntries(trx, url, revokedEntries(crl));
  }
  return { ...base, replaced: !same };
}

async function insertEntries(trx: Tx, url: string, entries: Iterable<RevokedEntry>) {
  let serials: string[] = [];
  let dates: Date[] = [];
  let reasons: (number | null)[] = [];
  const flush = async () => {
    if (serials.length === 0) return;
    // One statement per batch; a serial listed twice (a sloppy CA) keeps its first entry.
    await sql`
      INSERT INTO cert_revoked (url, serial, revoked_at, reason)
      SELECT ${url}, s, d, r FROM unnest(${serials}::text[], ${dates}::timestamptz[], ${reasons}::smallint[]) AS t(s, d, r)
      ON CONFLICT DO NOTHING`.execute(trx);
    serials = [];
    dates = [];
    reasons = [];
  };
  for (const e of entries) {
    serials.push(e.serial);
    dates.push(e.revokedAt);
    reasons.push(e.reason);
    if (serials.length >= BATCH) await flush();
  }
  await flush();
}

/** Why the last fetch of `url` failed, for the admin and the logs; the stored list stays. */
export async function recordCrlFailure(trx: Tx, url: string, message: string, now: Date) {
  await trx
    .updateTable("cert_crl_sources")
    .set({ last_attempt_at: now, last_error: message.slice(0, 500) })
    .where("url", "=", url)
    .execute();
}
