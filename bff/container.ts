import { openDatabase, type Database, type DbHandle } from "../db/index.js";
import { migrateToLatest } from "../db/migrate.js";
import { createAccountsService } from "./accounts/service.js";
import { createBookingsService } from "./bookings/service.js";
import { webPushSender } from "./adapters/web-push-sender.js";
import { createPushDecisions } from "./push/decisions.js";
import { pushJobHandlers } from "./push/notify.js";
import { createPushService } from "./push/service.js";
import { createRepairsService } from "./repairs/service.js";
import { createInbox } from "./reviews/inbox.js";
import { loadVapidKeys } from "./push/vapid.js";
import { devMailbox } from "./adapters/dev-mailbox.js";
import { smtpMailer } from "./adapters/smtp-mailer.js";
import { createChangePassword } from "./auth/change-password.js";
import { argon2Hasher } from "./auth/hashing.js";
import { createAuthService } from "./auth/service.js";
import type { Config } from "./config.js";
import { loadDataKey } from "./oidc/data-key.js";
import { createOidcProvider } from "./oidc/provider.js";
import { createVerifyApi } from "./oidc/verify-api.js";
import { createDirectoryQueue } from "./directory/queue.js";
import { createHomeService } from "./home/service.js";
import { createItemsService } from "./items/service.js";
import { pgJobListener } from "./jobs/listen.js";
import { maintenanceJobHandlers, scheduleMaintenance } from "./jobs/maintenance.js";
import { createWorker, type Logger } from "./jobs/worker.js";
import { consoleLogger } from "./logger.js";
import { listDevMailbox } from "./notifications/dev-mailbox.js";
import { messageJobHandlers } from "./notifications/mail.js";
import { disconnectedAdminSystems } from "./ports/admin-systems.js";
import { type Clock, systemClock } from "./ports/clock.js";
import type { PushSender } from "./ports/push.js";

/**
 * The composition root: configuration in, services out. Everything a request or a job
 * needs is built here once, so tests can build the same thing on their own database.
 */
export async function createContainer(
  config: Config,
  opts: { db?: DbHandle; clock?: Clock; logger?: Logger; pushSender?: PushSender } = {},
) {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? consoleLogger(config.NODE_ENV === "test");
  const handle =
    opts.db ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.dataDir,
      poolMax: config.DATABASE_POOL_MAX,
    }));
  const applied = await migrateToLatest(handle.db);
  if (applied.length > 0) logger.info("migrations applied", { applied });
  const db: Database = handle.db;

  const embeddedOutbox = devMailbox(clock);
  const mailer = config.SMTP_URL ? smtpMailer(config.SMTP_URL, config.MAIL_FROM) : embeddedOutbox;
  // The Mitake SMS adapter arrives with the sign-in methods; until then SMS lands in the dev mailbox.
  const sms = embeddedOutbox;

  const vapid = await loadVapidKeys(db, clock.now(), {
    publicKey: config.VAPID_PUBLIC_KEY,
    privateKey: config.VAPID_PRIVATE_KEY,
    subject: config.VAPID_SUBJECT,
  });
  const pushSender = opts.pushSender ?? webPushSender(vapid);

  const hasher = argon2Hasher({ memoryKiB: config.ARGON2_MEMORY_KIB, iterations: config.ARGON2_ITERATIONS });
  const auth = createAuthService({
    db,
    clock,
    hasher,
    sessionIdleMinutes: config.SESSION_IDLE_MINUTES,
    sessionMaxHours: config.SESSION_MAX_HOURS,
  });
  const accounts = createAccountsService({ db, clock });
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
    countSources: [bookings.homeCounts, repairs.homeCounts],
  });

  const dataKey = loadDataKey({
    dataKey: config.DATA_KEY,
    isProduction: config.isProduction,
    embedded: config.embedded,
    isTest: config.NODE_ENV === "test",
    dataDir: config.dataDir,
  });
  /** IDN-5: every account change enqueues its AD change through this, in its own transaction. */
  const directory = createDirectoryQueue({ dataKey });
  const oidc = await createOidcProvider({
    db,
    clock,
    logger,
    issuer: `${(config.PUBLIC_ORIGIN ?? `http://localhost:${config.PORT}`).replace(/\/+$/, "")}/oidc`,
    dataKey,
    trustProxy: config.trustProxy !== false,
    officialMailDomain: config.OFFICIAL_MAIL_DOMAIN,
    secureCookies: config.isProduction && !config.embedded,
  });

  const inbox = createInbox([bookings.reviewSource]);
  const worker = createWorker({
    db,
    handlers: {
      ...messageJobHandlers(mailer, sms),
      ...pushJobHandlers(pushSender, inbox.countForAccount),
      ...maintenanceJobHandlers({ sessionIdleMinutes: config.SESSION_IDLE_MINUTES }),
    },
    clock,
    logger,
    pollMs: config.WORKER_POLL_MS,
    // PGlite's socket shares one session among all connections, so LISTEN is left to PostgreSQL.
    listen: config.DATABASE_URL ? pgJobListener(config.DATABASE_URL, logger) : undefined,
  });

  const services = {
    /** The injected time, for loaders that need "today" (bookable days, defaults). */
    clock,
    auth: { ...auth, changePassword: createChangePassword({ db, clock, hasher }) },
    accounts,
    bookings,
    items: createItemsService({ db, clock }),
    repairs,
    push: createPushService({
      db,
      clock,
      sender: pushSender,
      strictEndpoints: config.isProduction && !config.embedded,
    }),
    pushDecisions: createPushDecisions({ db, clock, inbox }),
    inbox,
    home,
    /** Single sign-on (IDN-6): the provider and the interaction steps the portal pages run. */
    oidc,
    /** IDN-7: username/password checks for systems holding the `verify` scope. */
    verifyAccount: createVerifyApi({ db, clock, auth, oidc, perMinute: config.SSO_VERIFY_PER_MINUTE }),
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
    directory,
    services,
    worker,
    /** Starts the hourly housekeeping (sessions, decision tokens); returns its stop. */
    scheduleMaintenance: () => scheduleMaintenance(db, () => clock.now()),
    async close() {
      await worker.stop();
      await handle.close();
    },
  };
}

export type Container = Awaited<ReturnType<typeof createContainer>>;
export type Services = Container["services"];
