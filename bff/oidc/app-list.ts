import type { Database } from "../../db/index.js";
import { type Actor, requireSysAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { idOr404, parseInput } from "../validation.js";
import { inTransaction } from "../../db/transaction.js";
import { type EntryAddInput, entryAddSchema, type EntryUpdateInput, entryUpdateSchema } from "./schemas.js";

const MAX_ENTRIES = 200;

/**
 * IDN-8 應用程式列表 and its console (首頁應用程式管理). An entry is a registered system,
 * opened by transfer sign-in, or a plain link (資安自我檢查表 …, SPEC "out of scope").
 */
export function createAppList(deps: { db: Database; clock: Clock; issuer: string }) {
  const { db, clock } = deps;

  /** The entries a user sees: visible ones whose system is enabled and can start a sign-in. */
  function visibleEntries() {
    return db
      .selectFrom("app_list_entries as e")
      .leftJoin("oidc_clients as c", "c.client_id", "e.client_id")
      .where("e.visible", "=", true)
      .where((eb) =>
        eb.or([
          eb("e.client_id", "is", null),
          eb.and([eb("c.enabled", "=", true), eb("c.initiate_login_uri", "is not", null)]),
        ]),
      );
  }

  async function systemsForEntries() {
    return db
      .selectFrom("oidc_clients")
      .select(["client_id", "name", "initiate_login_uri", "enabled"])
      .where("grant_types", "@>", JSON.stringify(["authorization_code"]))
      .orderBy("name")
      .execute();
  }

  return {
    async forUser(_actor: Actor) {
      return visibleEntries()
        .select(["e.id", "e.label", "e.icon", "e.client_id"])
        .orderBy("e.sort")
        .orderBy("e.id")
        .limit(MAX_ENTRIES)
        .execute();
    },

    /**
     * Where opening an entry goes. For a system: its initiate-login URI with `iss` and
     * `login_hint` (OIDC Core §4, third-party-initiated login); the system then sends the
     * user to /oidc/auth, where the portal session signs them in without a prompt.
     */
    async launchUrl(actor: Actor, rawId: unknown): Promise<string> {
      const id = idOr404(rawId);
      const row = await visibleEntries()
        .select(["e.url", "c.initiate_login_uri"])
        .where("e.id", "=", id)
        .executeTakeFirst();
      const target = row?.initiate_login_uri ?? row?.url;
      if (!row || !target) throw notFound();
      if (!row.initiate_login_uri) return target;
      const url = new URL(target);
      url.searchParams.set("iss", deps.issuer);
      url.searchParams.set("login_hint", actor.username);
      return url.href;
    },

    async adminList(actor: Actor) {
      requireSysAdmin(actor);
      const [entries, systems] = await Promise.all([
        db
          .selectFrom("app_list_entries as e")
          .leftJoin("oidc_clients as c", "c.client_id", "e.client_id")
          .select([
            "e.id",
            "e.label",
            "e.icon",
            "e.url",
            "e.sort",
            "e.visible",
            "e.client_id",
            "c.name as systemName",
            "c.enabled as systemEnabled",
            "c.initiate_login_uri",
          ])
          .orderBy("e.sort")
          .orderBy("e.id")
          .execute(),
        systemsForEntries(),
      ]);
      return { entries, systems };
    },

    async add(actor: Actor, raw: EntryAddInput) {
      requireSysAdmin(actor);
      const input = parseInput(entryAddSchema(await systemsForEntries()), raw);
      const now = clock.now();
      return inTransaction(db, async (trx) => {
        if (input.clientId) {
          const dup = await trx
            .selectFrom("app_list_entries")
            .select("id")
            .where("client_id", "=", input.clientId)
            .executeTakeFirst();
          if (dup) throw new DomainError("invalid", "此系統已在列表中。", { clientId: "此系統已在列表中" });
        }
        const row = await trx
          .insertInto("app_list_entries")
          .values({
            client_id: input.clientId,
            label: input.label,
            icon: input.icon,
            url: input.url,
            sort: input.sort,
            visible: input.visible,
            created_at: now,
            updated_at: now,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await writeAudit(trx, actor, now, {
          action: "app_list.add",
          targetType: "app_list_entry",
          targetId: row.id,
          detail: { ...input },
        });
        return row;
      });
    },

    async update(actor: Actor, rawId: unknown, raw: EntryUpdateInput) {
      requireSysAdmin(actor);
      const input = parseInput(entryUpdateSchema, raw);
      const id = idOr404(rawId);
      const current = await db.selectFrom("app_list_entries").selectAll().where("id", "=", id).executeTakeFirst();
      if (!current) throw notFound();
      // A link keeps an address; a system's entry has none (its system's 登入起始網址 is used).
      if (current.url !== null && input.url === null) {
        throw new DomainError("invalid", "請輸入連結網址", { url: "請輸入連結網址" });
      }
      const now = clock.now();
      await inTransaction(db, async (trx) => {
        await trx
          .updateTable("app_list_entries")
          .set({
            label: input.label,
            icon: input.icon,
            sort: input.sort,
            visible: input.visible,
            url: current.url === null ? null : input.url,
            updated_at: now,
          })
          .where("id", "=", id)
          .execute();
        await writeAudit(trx, actor, now, {
          action: "app_list.update",
          targetType: "app_list_entry",
          targetId: id,
          detail: { label: input.label, icon: input.icon, sort: input.sort, visible: input.visible, url: input.url },
        });
      });
    },

    async remove(actor: Actor, rawId: unknown) {
      requireSysAdmin(actor);
      const id = idOr404(rawId);
      const now = clock.now();
      await inTransaction(db, async (trx) => {
        const row = await trx
          .deleteFrom("app_list_entries")
          .where("id", "=", id)
          .returning(["label"])
          .executeTakeFirst();
        if (!row) throw notFound();
        await writeAudit(trx, actor, now, {
          action: "app_list.remove",
          targetType: "app_list_entry",
          targetId: id,
          detail: { label: row.label },
        });
      });
    },
  };
}

export type AppList = ReturnType<typeof createAppList>;
