import { createHmac } from "node:crypto";
import { openDatabase, type Database, type DbHandle } from "../db/index.js";
import { migrateToLatest } from "../db/migrate.js";
import { accountJobHandlers } from "./accounts/jobs.js";
import { createAccountsService } from "./accounts/service.js";
import { createBookingsService } from "./bookings/service.js";
import { webPushSender } from "./adapters/web-push-sender.js";
import { createPushDecisions } from "./push/decisions.js";
import { pushJobHandlers } from "./push/notify.js";
import { createPushService } from "./push/service.js";
import { createRepairsService } from "./repairs/service.js";
import { scheduledJobHandlers } from "./scheduled/runner.js";
import { stripStoredMetadataHandlers } from "./items/strip-stored-metadata.js";
import { createScheduledService } from "./scheduled/service.js";
import { sharedAccountJobHandlers } from "./shared-accounts/password.js";
import { createSharedAccountsService } from "./shared-accounts/service.js";
import type { ScheduledExecutors } from "./scheduled/types.js";
import { createInbox } from "./reviews/inbox.js";
import { createConsole } from "./console/registry.js";
import { applicationScheduledExecutors, createApplicationsService } from "./applications/service.js";
import { loadVapidKeys } from "./push/vapid.js";
import { devMailbox } from "./adapters/dev-mailbox.js";
import { smtpMailer } from "./adapters/smtp-mailer.js";
import { createChangePassword } from "./auth/change-password.js";
import { argon2Hasher } from "./auth/hashing.js";
import { createAuthService } from "./auth/service.js";
import { knownDeviceKey, knownDevices } from "./auth/known-device.js";
import { secretMessageJobHandlers } from "./auth/code-delivery.js";
import { createPhoneVerification } from "./auth/phone-verification.js";
import { createTemporaryPasswords } from "./auth/temporary-password.js";
import { createTotp } from "./auth/totp.js";
import { createPasskeys, relyingParty } from "./auth/passkeys.js";
import { mitakeSms } from "./adapters/mitake-sms.js";
import { type Actor, requireAdmin } from "./actor.js";
import { type Config, databaseTimeouts } from "./config.js";
import { openDataKey } from "./oidc/open-data-key.js";
import { createOidcProvider } from "./oidc/provider.js";
import { createVerifyApi } from "./oidc/verify-api.js";
import { createSsoApplications } from "./oidc/applications.js";
import { createClientAdmin } from "./oidc/client-admin.js";
import { createAppList } from "./oidc/app-list.js";
import { createCertificateService } from "./certificates/service.js";
import { createDevicesService } from "./devices/service.js";
import { loadCertificateTrust } from "./certificates/trust.js";
import { crlJobHandlers, queueCrlFetch, scheduleCrlRefresh } from "./certificates/crl-job.js";
import { revocationCheck } from "./certificates/revocation.js";
import { ocspStatus } from "./certificates/ocsp.js";
import { crlFetcher } from "./outbound/revocation.js";
import { createDirectoryQueue } from "./directory/queue.js";
import { createDirectory } from "./directory/wiring.js";
import { createDirectoryBacklog } from "./directory/backlog.js";
import { createLinkImport } from "./directory/link-import.js";
import { createReconcile } from "./directory/reconcile.js";
import { createHomeService } from "./home/service.js";
import { createItemsService } from "./items/service.js";
import { pgJobListener } from "./jobs/listen.js";
import { maintenanceJobHandlers, scheduleMaintenance } from "./jobs/maintenance.js";
import { createHeartbeat, withHeartbeat } from "./jobs/heartbeat.js";
import { createWorker, type Logger } from "./jobs/worker.js";
import { createJobsAdmin } from "./jobs/admin.js";
import { consoleLogger } from "./logger.js";
import { createMetrics } from "./metrics/registry.js";
import { listDevMailbox } from "./notifications/dev-mailbox.js";
import { createParamsService } from "./params/service.js";
import { cachedParams, readParams } from "./params/store.js";
import { messageJobHandlers } from "./notifications/mail.js";
import { disconnectedAdminSystems } from "./ports/admin-systems.js";
import { type Clock, systemClock } from "./ports/clock.js";
import type { PushSender } from "./ports/push.js";
import { pushOutbound } from "./outbound/push.js";
import type { LookupFunction } from "node:net";

/**
 * The composition root: configuration in, services out. Everything a request or a job
 * needs is built here once, so tests can build the same thing on their own database.
 */
export async function createContainer(
  config: Config,
  opts: {
    db?: DbHandle;
    clock?: Clock;
    logger?: Logger;
    pushSender?: PushSender;
    /** Tests: the DNS the push policy resolves with (bff/outbound/push.ts). */
    pushLookup?: LookupFunction;
  } = {},
) {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? consoleLogger(config.NODE_ENV === "test");
  const handle =
    opts.db ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.dataDir,
      poolMax: config.DATABASE_POOL_MAX,
      timeouts: databaseTimeouts(config),
    }));
  const applied = await migrateOnStart(config, opts.db ? undefined : config.DATABASE_URL, handle);
  if (applied.length > 0) logger.info("migrations applied", { applied });
  const db: Database = handle.db;

  const embeddedOutbox = devMailbox(clock);
  const mailer = config.SMTP_URL ? smtpMailer(config.SMTP_URL, config.MAIL_FROM) : embeddedOutbox;
  // NTF-3: Mitake (三竹簡訊) when its account is configured; otherwise SMS lands in the dev mailbox.
  const sms =
    config.MITAKE_USERNAME && config.MITAKE_PASSWORD
      ? mitakeSms({ url: config.MITAKE_URL, username: config.MITAKE_USERNAME, password: config.MITAKE_PASSWORD })
      : embeddedOutbox;

  const dataKey = await openDataKey(db, clock.now(), config);
  const vapid = await loadVapidKeys(db, dataKey, clock.now(), {
    publicKey: config.VAPID_PUBLIC_KEY,
    privateKey: config.VAPID_PRIVATE_KEY,
    subject: config.VAPID_SUBJECT,
  });
  /** Issue 14 item 2 (ADR 0024): push goes only to known push services on public addresses. */
  const pushPolicy = pushOutbound({
    hosts: config.pushServiceHosts,
    allowLoopback: config.pushAllowLoopback,
    lookup: opts.pushLookup,
  });
  const pushSender = opts.pushSender ?? webPushSender(vapid, pushPolicy);

  /**
   * PRT-5 系統參數 (ADR 19): this app server's copy, re-read at most every
   * PARAMS_CACHE_SECONDS, so a change made on any server is in force here within that bound.
   */
  const params = cachedParams({ load: () => readParams(db), clock, ttlMs: config.PARAMS_CACHE_SECONDS * 1000 });

  const hasher = argon2Hasher({ memoryKiB: config.ARGON2_MEMORY_KIB, iterations: config.ARGON2_ITERATIONS });
  /** IDN-2: TOTP enrolment, the sign-in's second step and the admin's reset. */
  const totp = createTotp({ db, clock, dataKey, hasher });
  /** ADR 0034: passkeys' relying party is PUBLIC_ORIGIN; without it they are not offered. */
  const rp = relyingParty(config.PUBLIC_ORIGIN);
  const auth = createAuthService({
    db,
    clock,
    hasher,
    totp,
    params,
    sessionIdleMinutes: config.SESSION_IDLE_MINUTES,
    sessionMaxHours: config.SESSION_MAX_HOURS,
    /** ADR 0025: a device that signed in before is not refused by its account's lock. */
    devices: knownDevices(knownDeviceKey(dataKey)),
    officialMailDomain: config.OFFICIAL_MAIL_DOMAIN,
    rp,
  });
  /** IDN-5: every account change enqueues its AD change through this, in its own transaction. */
  const directory = createDirectoryQueue({ dataKey });
  const accounts = createAccountsService({ db, clock, directory, hasher, dataKey, params });
  /** ACC-1/2/3/6/7/8/13/17/18/19: applications, signed-out flows, self-service, review queue. */
  const applications = createApplicationsService({
    db,
    clock,
    hasher,
    directory,
    dataKey,
    officialMailDomain: config.OFFICIAL_MAIL_DOMAIN,
    baseUrl: config.PUBLIC_ORIGIN,
    params,
  });
  const bookings = createBookingsService({
    db,
    clock,
    officialMailDomain: config.OFFICIAL_MAIL_DOMAIN,
    baseUrl: config.PUBLIC_ORIGIN,
  });
  const repairs = createRepairsService({
    db,
    clock,
    officialMailDomain: config.OFFICIAL_MAIL_DOMAIN,
    baseUrl: config.PUBLIC_ORIGIN,
  });
  const home = createHomeService({
    db,
    clock,
    accounts,
    adminSystems: disconnectedAdminSystems,
    countSources: [bookings.homeCounts, repairs.homeCounts, applications.homeCounts],
  });

  const ad = createDirectory({ config, db, clock, dataKey, queue: directory });
  const oidc = await createOidcProvider({
    db,
    clock,
    logger,
    issuer: `${(config.PUBLIC_ORIGIN ?? `http://localhost:${config.PORT}`).replace(/\/+$/, "")}/oidc`,
    dataKey,
    trustProxy: config.trustProxy !== false,
    officialMailDomain: config.OFFICIAL_MAIL_DOMAIN,
    secureCookies: config.isProduction && !config.embedded,
    // One sign-out (ADR 0023): a sign-out confirmed at /oidc/session/end ends the portal session too.
    endPortalSession: (token, meta) => auth.signOut(token, meta),
  });

  /** 機關及郵件系統帳號 (ACC-14/15): apply, hold, admin console, review, sign-in zone. */
  const sharedAccounts = createSharedAccountsService({
    db,
    clock,
    hasher,
    dataKey,
    officialMailDomain: config.OFFICIAL_MAIL_DOMAIN,
    params,
  });
  const inbox = createInbox([bookings.reviewSource, applications.reviewSource, sharedAccounts.reviewSource]);
  /**
   * ACC-9/16: what each 預約生效 type does when its time comes. Every feature that calls
   * scheduleChange exports its executors and is spread in here (like job handlers).
   */
  const scheduledExecutors: ScheduledExecutors = {
    ...applicationScheduledExecutors(applications),
    ...accounts.scheduledExecutors,
  };
  /** IDN-4 trust; issue 17 item 8 (ADR 0035): its CRLs, fetched by a job under the crl outbound policy. */
  const certTrust = loadCertificateTrust(config);
  const crls = certTrust ? crlFetcher({ allowLoopback: config.revocationAllowLoopback }) : null;
  const jobWorker = createWorker({
    db,
    handlers: {
      ...messageJobHandlers(mailer, sms),
      ...secretMessageJobHandlers({ mailer, sms, dataKey, logger }),
      ...pushJobHandlers(pushSender, inbox.countForAccount),
      ...maintenanceJobHandlers({ sessionIdleMinutes: config.SESSION_IDLE_MINUTES }),
      ...accountJobHandlers({ directory, officialMailDomain: config.OFFICIAL_MAIL_DOMAIN }),
      ...ad.jobHandlers,
      ...scheduledJobHandlers(scheduledExecutors),
      ...sharedAccountJobHandlers({ mailer, dataKey }),
      ...stripStoredMetadataHandlers(),
      ...(certTrust && crls ? crlJobHandlers({ bundle: certTrust.bundle, fetcher: crls }) : {}),
    },
    clock,
    logger,
    pollMs: config.WORKER_POLL_MS,
    // Issue 15 item 1 (ADR 0027): slots per lane, so codes and push never wait behind mail, AD or bulk work.
    concurrency: config.laneConcurrency,
    // PGlite's socket shares one session among all connections, so LISTEN is left to PostgreSQL.
    listen: config.DATABASE_URL
      ? pgJobListener(config.DATABASE_URL, logger, { connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS })
      : undefined,
  });
  // Issue 13 item 4: the worker beats into worker_heartbeats while started; /readyz reads it.
  const worker = withHeartbeat(jobWorker, (workerId) =>
    createHeartbeat({ db, clock, logger, workerId, intervalMs: config.WORKER_HEARTBEAT_SECONDS * 1000 }),
  );

  /** Issue 15 item 4 (ADR 0029): this process's Prometheus series (served by server.ts / worker-main.ts). */
  const metrics = createMetrics({ db, clock, logger });

  const items = createItemsService({ db, clock });
  const scheduled = createScheduledService({ db, clock });
  const jobsAdmin = createJobsAdmin({ db, clock });
  const ssoApplications = createSsoApplications({
    db,
    clock,
    dataKey,
    officialMailDomain: config.OFFICIAL_MAIL_DOMAIN,
    baseUrl: config.PUBLIC_ORIGIN,
  });

  const services = {
    /** The injected time, for loaders that need "today" (bookable days, defaults). */
    clock,
    auth: {
      ...auth,
      changePassword: createChangePassword({ db, clock, hasher, directory }),
      /** IDN-3 臨時密碼: issue one by SMS or e-mail (sign-in is auth.signInWithTemporaryPassword). */
      temporaryPasswords: createTemporaryPasswords({
        db,
        clock,
        hasher,
        dataKey,
        validMinutes: config.TEMP_PASSWORD_MINUTES,
      }),
      totp: {
        status: totp.status,
        startEnrolment: totp.startEnrolment,
        confirmEnrolment: totp.confirmEnrolment,
        /** ADR 0034: ten new single-use recovery codes, shown once; the old ones stop working. */
        regenerateRecoveryCodes: totp.regenerateRecoveryCodes,
        /** IDN-2: an admin resets an account's TOTP, within the admin's scope (else 404). */
        async reset(actor: Actor, accountId: number) {
          requireAdmin(actor);
          await accounts.getAccount(actor, accountId);
          await totp.reset(actor, accountId);
        },
        /** Whether an account in the admin's scope has TOTP on (else 404). */
        async enabledAtFor(actor: Actor, accountId: number) {
          requireAdmin(actor);
          await accounts.getAccount(actor, accountId);
          return totp.enabledAt(accountId);
        },
      },
      /** ADR 0034: the signed-in user's passkeys (sign-in is auth.signInWithPasskey). */
      passkeys: createPasskeys({ db, clock, rp }),
      /** NTF-3: the signed-in user's mobile number, verified by an SMS code. */
      phone: createPhoneVerification({ db, clock, dataKey, directory }),
    },
    accounts,
    applications,
    bookings,
    items,
    repairs,
    /** PRT-5 系統參數: typed reads (`params.get("lockout_threshold")`) and 系統參數管理. */
    params: createParamsService({ db, clock, reader: params, cacheSeconds: config.PARAMS_CACHE_SECONDS }),
    /** 預約管理作業 (ACC-16). */
    scheduled,
    sharedAccounts,
    push: createPushService({
      db,
      clock,
      sender: pushSender,
      endpoints: pushPolicy,
    }),
    pushDecisions: createPushDecisions({ db, clock, inbox }),
    inbox,
    home,
    /** Single sign-on (IDN-6): the provider and the interaction steps the portal pages run. */
    oidc,
    /** 我的 › 登入裝置與授權 (issue 17 item 6, ADR 0033): sessions per device, consents, admin 結束所有登入. */
    devices: createDevicesService({ db, clock, sessionIdleMinutes: config.SESSION_IDLE_MINUTES, sso: oidc }),
    /** IDN-7: username/password checks for systems holding the `verify` scope. */
    verifyAccount: createVerifyApi({ db, clock, auth, oidc, perMinute: config.SSO_VERIFY_PER_MINUTE }),
    /** IDN-6 應用系統服務介接申請, client administration, and the IDN-8 app list. */
    ssoApplications,
    ssoClients: createClientAdmin({ db, clock }),
    appList: createAppList({ db, clock, issuer: oidc.provider.issuer }),
    /** IDN-4: citizen digital certificate sign-in and card linking (off without CERT_CA_BUNDLE). */
    certificates: createCertificateService({
      db,
      clock,
      auth,
      directory,
      trust: certTrust,
      signerUrl: config.CERT_SIGNER_URL,
      revocation: revocationCheck({
        db,
        params,
        missing: config.CERT_CRL_MISSING,
        queueFirstFetch: (url, now) => queueCrlFetch(db, url, now, "first"),
        ocsp: crls ? (o) => ocspStatus(crls.askOcsp, o) : undefined,
      }),
    }),
    /** IDN-5 AD 同步管理作業: backlog, failures, retry; the port for reconcile and link import. */
    directory: ad.service,
    /** IDN-5: the same page's pending list, reconcile (drift and its fix) and the link import. */
    directoryAdmin: {
      backlog: createDirectoryBacklog({ db }),
      reconcile: createReconcile({ db, clock, port: ad.port, queue: directory, desiredUser: ad.service.desiredUser }),
      links: createLinkImport({ db, clock, port: ad.port, desiredUser: ad.service.desiredUser }),
    },
    /** 背景作業 (issue 15 item 3): dead jobs for system admins, with retry and discard. */
    jobsAdmin,
    /** 管理主控台 (ADR 20): which console functions the actor has, with their waiting counts. */
    console: createConsole({
      accountReviews: applications.reviewSource,
      sharedAccountReviews: sharedAccounts.reviewSource,
      scheduled,
      directory: ad.service,
      ssoApplications,
      items,
      repairs,
      jobs: jobsAdmin,
    }),
    devMailbox: {
      enabled: config.devMailbox && !(config.isProduction && !config.embedded),
      list: () => listDevMailbox(db),
    },
  };

  return {
    config,
    clock,
    logger,
    db,
    dbKind: handle.kind,
    hasher,
    dataKey,
    /** Signs cookies that carry no secret (flash messages): a key of its own, derived from DATA_KEY. */
    cookieSecret: createHmac("sha256", dataKey).update("portal cookie signing v1").digest("base64url"),
    directory,
    services,
    worker,
    metrics,
    /** Starts the hourly housekeeping (sessions, decision tokens); returns its stop. */
    scheduleMaintenance: () => {
      const stops = [scheduleMaintenance(db, () => clock.now())];
      if (certTrust) stops.push(scheduleCrlRefresh(db, () => clock.now(), config.crlUrls));
      return () => stops.forEach((stop) => stop());
    },
    async close() {
      metrics.close();
      await worker.stop();
      await ad.close();
      await pushPolicy.close();
      await crls?.close();
      await handle.close();
    },
  };
}

/**
 * The migrator is exempt from the request timeouts (a migration may rewrite a large table):
 * on PostgreSQL it runs on a short-lived pool of its own. The embedded database (one session)
 * and a handle a test passed in migrate on the handle itself.
 */
async function migrateOnStart(config: Config, databaseUrl: string | undefined, handle: DbHandle): Promise<string[]> {
  if (!databaseUrl) return migrateToLatest(handle.db);
  const own = await openDatabase({
    databaseUrl,
    dataDir: config.dataDir,
    poolMax: 1,
    purpose: "migrate",
    timeouts: databaseTimeouts(config),
  });
  try {
    return await migrateToLatest(own.db);
  } finally {
    await own.close();
  }
}

export type Container = Awaited<ReturnType<typeof createContainer>>;
export type Services = Container["services"];
