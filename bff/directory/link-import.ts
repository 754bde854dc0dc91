import type { Database } from "../../db/index.js";
import { type Actor, requireSysAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { DirectoryError, type DirectoryPort, type DirectoryUser, type FoundUser } from "./port.js";
import { inTransaction } from "../../db/transaction.js";
import { idOr404 } from "../validation.js";

/**
 * IDN-5 part 2, linking an existing directory: the city already has AD. The import reads
 * the people under AD_BASE_DN (read only: it changes nothing in AD) and links each to the
 * portal account with the same sAMAccountName by recording the AD object's DN and
 * `linked_at` in directory_sync_state.
 *
 * A link is not yet "managed": the portal's marker (adminDescription=portal-managed, see
 * port.ts) is written by the account's next sync job, which adopts linked objects
 * (createOrUpdate's `adopt`). That sync happens on the account's next change or when an
 * admin presses 修正 in reconcile (kind `linked`) — an explicit decision either way.
 *
 * Conflicts are reported and NOT linked: the same sAMAccountName with another name or
 * mail may be another person. An admin who checked links one by hand (`linkOne`).
 */
export interface LinkRow {
  accountId: number;
  username: string;
  name: string;
  dn: string;
  /** The linked object sits outside the OU the portal maps its agency to: the first sync moves it. */
  movesTo: string | null;
}

export interface LinkConflict {
  accountId: number;
  username: string;
  name: string;
  dn: string;
  reason: "name" | "mail" | "name-mail" | "mapping";
  portalName: string;
  adName: string;
  portalMail: string;
  adMail: string;
}

export interface LinkReport {
  ranAt: Date;
  /** Newly linked now. */
  linked: LinkRow[];
  /** Linked before, or already managed by the portal: the DN is refreshed, nothing else. */
  alreadyLinked: number;
  conflicts: LinkConflict[];
  /** AD people with no portal account (left as they are). */
  adOnly: { username: string; displayName: string; dn: string }[];
  /** Portal accounts AD does not have (the sync creates them). */
  portalOnly: { accountId: number; username: string; name: string }[];
  totals: { ad: number; portal: number };
}

const key = (username: string) => username.toLowerCase();
const same = (a: string | null, b: string | null) => (a ?? "").trim().toLowerCase() === (b ?? "").trim().toLowerCase();

export function createLinkImport(deps: {
  db: Database;
  clock: Clock;
  port: DirectoryPort;
  desiredUser(db: Database, accountId: number): Promise<{ user: DirectoryUser; linked: boolean } | undefined>;
}) {
  const requireConfigured = () => {
    if (!deps.port.configured) throw new DomainError("conflict", "AD 未設定，無法匯入連結。");
  };

  async function readPeople(): Promise<FoundUser[]> {
    try {
      if (!deps.port.listUsers) throw new DomainError("conflict", "這個 AD 連接方式無法列出 AD 人員，不能匯入連結。");
      return await deps.port.listUsers();
    } catch (err) {
      if (err instanceof DirectoryError) {
        throw new DomainError("conflict", `無法讀取 AD：${err.message}${err.ldap ? `（${err.ldap}）` : ""}`);
      }
      throw err;
    }
  }

  /** Records the link (DN, linked_at); keeps an earlier linked_at. */
  async function recordLink(db: Database, accountId: number, dn: string, now: Date, link: boolean): Promise<void> {
    await db
      .insertInto("directory_sync_state")
      .values({ account_id: accountId, dn, linked_at: link ? now : null, updated_at: now })
      .onConflict((oc) =>
        oc.column("account_id").doUpdateSet((eb) => ({
          dn,
          updated_at: now,
          linked_at: link
            ? eb.fn.coalesce("directory_sync_state.linked_at", eb.val(now))
            : eb.ref("directory_sync_state.linked_at"),
        })),
      )
      .execute();
  }

  return {
    /** Runs the import: links the matches, reports the rest. Writes only the portal's sync state. */
    async importLinks(actor: Actor): Promise<LinkReport> {
      requireSysAdmin(actor);
      requireConfigured();
      const people = await readPeople();
      const now = deps.clock.now();
      const byName = new Map(people.map((u) => [key(u.username), u]));
      const accounts = await deps.db
        .selectFrom("accounts as a")
        .leftJoin("directory_sync_state as s", "s.account_id", "a.id")
        .select(["a.id", "a.username", "a.name", "s.linked_at"])
        .orderBy("a.id")
        .execute();
      // Built inside the transaction: a re-run after a deadlock starts the report afresh.
      return inTransaction(deps.db, async (trx) => {
        const report: LinkReport = {
          ranAt: now,
          linked: [],
          alreadyLinked: 0,
          conflicts: [],
          adOnly: [],
          portalOnly: [],
          totals: { ad: people.length, portal: accounts.length },
        };
        const matched = new Set<string>();
        for (const a of accounts) {
          const found = byName.get(key(a.username));
          if (!found) {
            report.portalOnly.push({ accountId: a.id, username: a.username, name: a.name });
            continue;
          }
          matched.add(key(a.username));
          const outcome = await judge(trx, a, found);
          if (outcome.conflict) {
            report.conflicts.push(outcome.conflict);
          } else if (found.managed || a.linked_at) {
            report.alreadyLinked++;
            await recordLink(trx, a.id, found.dn, now, !found.managed);
          } else {
            await recordLink(trx, a.id, found.dn, now, true);
            report.linked.push({
              accountId: a.id,
              username: a.username,
              name: a.name,
              dn: found.dn,
              movesTo: outcome.movesTo,
            });
          }
        }
        for (const u of people) {
          if (!matched.has(key(u.username)))
            report.adOnly.push({ username: u.username, displayName: u.displayName, dn: u.dn });
        }
        await writeAudit(trx, actor, now, {
          action: "directory.link-import",
          targetType: "directory",
          targetId: "all",
          detail: {
            linked: report.linked.length,
            alreadyLinked: report.alreadyLinked,
            conflicts: report.conflicts.length,
            adOnly: report.adOnly.length,
            portalOnly: report.portalOnly.length,
          },
        });
        return report;
      });
    },

    /**
     * Links one account to the AD object with its username although the import reported a
     * conflict: the admin checked it is the same person. The next sync writes the portal's
     * name and mail over AD's. An object already marked by another system is refused.
     */
    async linkOne(actor: Actor, rawAccountId: unknown): Promise<{ dn: string }> {
      requireSysAdmin(actor);
      requireConfigured();
      const accountId = idOr404(rawAccountId, () => new DomainError("not_found", "找不到這個帳號。"));
      const account = await deps.db
        .selectFrom("accounts")
        .select(["id", "username"])
        .where("id", "=", accountId)
        .executeTakeFirst();
      if (!account) throw new DomainError("not_found", "找不到這個帳號。");
      let found: FoundUser | undefined;
      try {
        found = await deps.port.findUser(account.username);
      } catch (err) {
        if (err instanceof DirectoryError) throw new DomainError("conflict", `無法讀取 AD：${err.message}`);
        throw err;
      }
      if (!found) throw new DomainError("conflict", `AD 沒有帳號 ${account.username}，無須連結；同步時會新建。`);
      const now = deps.clock.now();
      const dn = found.dn;
      await inTransaction(deps.db, async (trx) => {
        await recordLink(trx, account.id, dn, now, !found.managed);
        await writeAudit(trx, actor, now, {
          action: "directory.link",
          targetType: "account",
          targetId: account.id,
          detail: { dn },
        });
      });
      return { dn };
    },
  };

  /** A match is linked unless the name or mail says it may be someone else. */
  async function judge(
    db: Database,
    a: { id: number; username: string; name: string },
    found: FoundUser,
  ): Promise<{ conflict?: LinkConflict; movesTo: string | null }> {
    const base = {
      accountId: a.id,
      username: a.username,
      name: a.name,
      dn: found.dn,
      portalName: a.name,
      adName: found.displayName,
      adMail: found.mail ?? "",
    };
    let desired: { user: DirectoryUser } | undefined;
    try {
      desired = await deps.desiredUser(db, a.id);
    } catch (err) {
      if (err instanceof DirectoryError && err.category === "mapping") {
        return { conflict: { ...base, reason: "mapping", portalMail: "" }, movesTo: null };
      }
      throw err;
    }
    const portalMail = desired?.user.mail ?? "";
    if (found.managed) return { movesTo: null };
    // Empty on AD's side is no conflict: the first sync fills it in.
    const nameDiffers = found.displayName !== "" && !same(found.displayName, a.name);
    const mailDiffers = (found.mail ?? "") !== "" && !same(found.mail, portalMail);
    if (nameDiffers || mailDiffers) {
      const reason = nameDiffers && mailDiffers ? "name-mail" : nameDiffers ? "name" : "mail";
      return { conflict: { ...base, reason, portalMail }, movesTo: null };
    }
    const movesTo = desired && found.ou.toLowerCase() !== desired.user.ou.toLowerCase() ? desired.user.ou : null;
    return { movesTo };
  }
}

export type LinkImportService = ReturnType<typeof createLinkImport>;
