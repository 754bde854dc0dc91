import type { X509Certificate } from "node:crypto";
import type { Database } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import { enqueue } from "../jobs/queue.js";
import { callingJob, finished, GiveUpJob, type JobHandlers } from "../jobs/worker.js";
import type { CrlFetcher } from "../outbound/revocation.js";
import { crlSigner, parseCrl } from "./crl.js";
import { ensureSources, recordCrlFailure, storeCrl } from "./crl-store.js";

export const CRL_JOB = "certificates.crl-refresh";

/** How often every known list is fetched again (MOICA publishes a new one at least daily). */
export const CRL_REFRESH_MS = 60 * 60_000;

/** Queues a fetch of `url`; `key` makes it once per period however many servers ask. */
export async function queueCrlFetch(db: Database, url: string, now: Date, key: string) {
  await inTransaction(db, (trx) =>
    enqueue(trx, { kind: CRL_JOB, payload: { url }, runAt: now, idempotencyKey: `crl:${key}:${url}`, maxAttempts: 3 }),
  );
}

/**
 * certificates.crl-refresh (issue 17 item 8, ADR 0035): downloads one list under the crl
 * outbound policy with no transaction open, checks it is a CRL signed by a CA of the bundle,
 * then stores its serial numbers for every server. A list that does not verify is not
 * stored; the one stored before stays, and the failure is written on the source for the admin.
 */
export function crlJobHandlers(deps: { bundle: readonly X509Certificate[]; fetcher: CrlFetcher }): JobHandlers {
  return {
    [CRL_JOB]: callingJob<string, { der: Buffer }>({
      callsOut: true,
      async prepare({ db, payload }) {
        const url = typeof payload?.url === "string" ? payload.url : "";
        const row = await db.selectFrom("cert_crl_sources").select("url").where("url", "=", url).executeTakeFirst();
        return row ? { call: row.url } : finished({ skipped: "unknown source" });
      },
      async call(url) {
        return { der: await deps.fetcher.fetchCrl(url) };
      },
      async record({ db, now }, { der }, url) {
        let crl;
        try {
          crl = parseCrl(der);
        } catch (e) {
          throw new GiveUpJob(`${url}: not a CRL (${(e as Error).message})`);
        }
        const signer = crlSigner(crl, deps.bundle);
        if (!signer) throw new GiveUpJob(`${url}: the list is not signed by a CA of CERT_CA_BUNDLE`);
        return { url, ...(await storeCrl(db, url, crl, signer.fingerprint256, now)) };
      },
      async onFailure({ db, payload, now }, { error }) {
        if (typeof payload?.url === "string")
          await recordCrlFailure(db, payload.url, error instanceof Error ? error.message : String(error), now);
      },
      // The next hour's fetch tries again; a short retry covers a brief outage only.
      backoffMs: (attempt) => attempt * 60_000,
      retryWindowMs: CRL_REFRESH_MS,
    }),
  };
}

/**
 * Every CRL_REFRESH_MS: the configured lists become sources, and every source gets a fetch.
 * Every app server and worker may call this; the idempotency key (one per source per period)
 * lets one enqueue count.
 */
export function scheduleCrlRefresh(db: Database, now: () => Date, configUrls: readonly string[]): () => void {
  const tick = async () => {
    const t = now();
    await ensureSources(db, configUrls, "config", t);
    const period = Math.floor(t.getTime() / CRL_REFRESH_MS);
    const sources = await db.selectFrom("cert_crl_sources").select("url").execute();
    for (const { url } of sources) await queueCrlFetch(db, url, t, String(period));
  };
  void tick().catch(() => undefined);
  const timer = setInterval(() => void tick().catch(() => undefined), 10 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
