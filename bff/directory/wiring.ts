import type { Database } from "../../db/index.js";
import type { Config } from "../config.js";
import type { JobHandlers } from "../jobs/worker.js";
import type { Clock } from "../ports/clock.js";
import { ldapDirectory } from "./ldap-directory.js";
import { notConfiguredDirectory } from "./not-configured.js";
import type { DirectoryPort } from "./port.js";
import type { DirectoryQueue } from "./queue.js";
import { createDirectoryService, type DirectoryService } from "./service.js";
import { directorySettings } from "./settings.js";
import { directoryJobHandlers } from "./sync.js";

/**
 * The AD sync's parts for the composition root: the port (LDAPS, or "not configured"
 * when AD_URL is unset), the job handlers, and the admin page's service. A half-set AD
 * configuration stops the start-up with the key that is missing.
 */
export function createDirectory(deps: {
  config: Config;
  db: Database;
  clock: Clock;
  dataKey: Buffer;
  queue: DirectoryQueue;
  /** Tests may hand in their own port. */
  port?: DirectoryPort;
}): { port: DirectoryPort; jobHandlers: JobHandlers; service: DirectoryService; close(): Promise<void> } {
  const settings = directorySettings(deps.config);
  const port = deps.port ?? (settings ? ldapDirectory(settings) : notConfiguredDirectory());
  const syncDeps = { settings, officialMailDomain: deps.config.OFFICIAL_MAIL_DOMAIN };
  return {
    port,
    jobHandlers: directoryJobHandlers({ port, dataKey: deps.dataKey, ...syncDeps }),
    service: createDirectoryService({ db: deps.db, clock: deps.clock, port, queue: deps.queue, syncDeps }),
    close: () => port.close(),
  };
}
