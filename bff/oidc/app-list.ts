import type { Database } from "../../db/index.js";
import { type Actor, requireSysAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { hasUnsafeChars } from "../text.js";
import { uriProblem } from "./application-input.js";
import { inTransaction } from "../../db/transaction.js";

const MAX_ENTRIES = 200;

const toId = (v: unknown) => {
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 && n < 2 ** 31 ? n : undefined;
};

interface EntryInput {
  label: string;
  icon: string;
  sort: number;
  visible: boolean;
  url: string | null;
  clientId: string | null;
}

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

  async function parse(raw: Record<string, unknown>, forNew: boolean): Promise<EntryInput> {
    const fields: Record<string, string> = {};
    const label = typeof raw.label === "string" ? raw.label.trim() : "";
    if (label === "") fields.label = "請輸入名稱";
    else if (label.length > 30) fields.label = "名稱不可超過 30 字";
    else if (hasUnsafeChars(label)) fields.label = "名稱含有無法使用的字元";
    const icon = typeof raw.icon === "string" ? raw.icon.trim() : "";
    if ([...icon].length > 2 || icon.length > 2 || hasUnsafeChars(icon)) fields.icon = "圖示文字最多 2 個字";
    const sortText = typeof raw.sort === "string" && raw.sort.trim() !== "" ? raw.sort.trim() : "0";
    const sort = Number(sortText);
    if (!/^-?\d{1,6}$/.test(sortText)) fields.sort = "排序請輸入 -999999 到 999999 的整數";
    const visible = raw.visible === "on" || raw.visible === true;
    let url: string | null = null;
    let clientId: string | null = null;
    if (forNew) {
      if (raw.kind === "system") {
        const systems = await systemsForEntries();
        const s = systems.find((x) => x.client_id === raw.clientId);
        if (!s) fields.clientId = "請選擇系統";
        else if (!s.initiate_login_uri) fields.clientId = "此系統尚未設定登入起始網址，請先於用戶端管理設定";
        else clientId = s.client_id;
      } else if (raw.kind === "link") {
        url = typeof raw.url === "string" ? raw.url.trim() : "";
        const problem = url ? uriProblem(url) : "請輸入連結網址";
        if (problem) fields.url = problem;
      } else fields.kind = "請選擇類型";
    } else if (typeof raw.url === "string") {
      url = raw.url.trim();
    }
    if (Object.keys(fields).length > 0) throw new DomainError("invalid", "資料有誤，請修正標示的欄位。", fields);
    return { label, icon, sort, visible, url, clientId };
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
      const id = toId(rawId);
      if (!id) throw notFound();
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

    async add(actor: Actor, raw: Record<string, unknown>) {
      requireSysAdmin(actor);
      const input = await parse(raw, true);
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

    async update(actor: Actor, rawId: unknown, raw: Record<string, unknown>) {
      requireSysAdmin(actor);
      const id = toId(rawId);
      if (!id) throw notFound();
      const current = await db.selectFrom("app_list_entries").selectAll().where("id", "=", id).executeTakeFirst();
      if (!current) throw notFound();
      const input = await parse(raw, false);
      if (current.url !== null) {
        const problem = input.url ? uriProblem(input.url) : "請輸入連結網址";
        if (problem) throw new DomainError("invalid", "資料有誤，請修正標示的欄位。", { url: problem });
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
      const id = toId(rawId);
      if (!id) throw notFound();
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
