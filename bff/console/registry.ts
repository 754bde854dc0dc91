import { type Actor, isAgencyAdmin, isSysAdmin } from "../actor.js";

/**
 * 管理主控台 (ADR 20): the ONE list of console functions and who may use each. The console
 * home, its navigation and the header's 管理主控台 link all read this; a new admin page
 * becomes reachable by adding one entry to `consoleEntries` below (its own loader still
 * checks the actor: the console only decides what is shown).
 */

/** The groups, in the order of the manual's 表 2 (管理主控台功能). */
export const consoleGroups = [
  "帳號管理",
  "AD 同步管理作業",
  "應用系統服務介接管理",
  "首頁應用程式管理",
  "系統參數管理",
  "物品管理",
] as const;
export type ConsoleGroup = (typeof consoleGroups)[number];

/** A waiting count shown next to an entry (「待審核 3」). */
export interface ConsoleCount {
  label: string;
  n: number;
}

export interface ConsoleEntryDef {
  /** Stable id (tests, keys). */
  id: string;
  group: ConsoleGroup;
  title: string;
  href: string;
  /** Who may use it. Role checks are synchronous; duties (custodian of…) ask a service. */
  allowed(actor: Actor): boolean | Promise<boolean>;
  /** What waits for the actor here, scoped to the actor by the service that owns it. */
  counts?(actor: Actor): Promise<ConsoleCount[]>;
}

export interface ConsoleEntry {
  id: string;
  title: string;
  href: string;
  counts: ConsoleCount[];
}

export interface ConsoleSection {
  group: ConsoleGroup;
  entries: ConsoleEntry[];
}

/** The services the entries ask; each keeps its own scoping. */
export interface ConsoleDeps {
  accountReviews: { count(actor: Actor): Promise<number> };
  sharedAccountReviews: { count(actor: Actor): Promise<number> };
  scheduled: { pendingCount(actor: Actor): Promise<number> };
  directory: { status(actor: Actor): Promise<{ backlog: number; failing: number; dead: number }> };
  ssoApplications: { pendingCount(actor: Actor): Promise<number> };
  items: { consoleAccess(actor: Actor): Promise<{ manage: boolean }> };
  repairs: { consoleAccess(actor: Actor): Promise<{ manage: boolean }> };
  jobs: { deadCount(actor: Actor): Promise<number> };
}

const isAdmin = (a: Actor) => isSysAdmin(a) || isAgencyAdmin(a);

/**
 * Every console function that exists today. 訊息管理, 組織管理 and 日誌紀錄管理 (表 2) are
 * not built yet and are left out rather than shown as dead links.
 */
export function consoleEntries(deps: ConsoleDeps): ConsoleEntryDef[] {
  const one = (label: string, n: Promise<number>) => n.then((v) => [{ label, n: v }]);
  return [
    // 帳號管理: system admins for every agency, agency admins for their own (the services scope it).
    { id: "accounts", group: "帳號管理", title: "個人公務帳號管理", href: "/admin/accounts", allowed: isAdmin },
    {
      id: "account-reviews",
      group: "帳號管理",
      title: "個人公務帳號審核",
      href: "/admin/account-reviews",
      allowed: isAdmin,
      counts: (a) => one("待審核", deps.accountReviews.count(a)),
    },
    {
      id: "shared-accounts",
      group: "帳號管理",
      title: "機關及郵件系統帳號管理",
      href: "/admin/shared-accounts",
      allowed: isAdmin,
    },
    {
      id: "shared-account-reviews",
      group: "帳號管理",
      title: "機關及郵件系統帳號審核",
      href: "/admin/shared-account-reviews",
      allowed: isAdmin,
      counts: (a) => one("待審核", deps.sharedAccountReviews.count(a)),
    },
    {
      id: "scheduled",
      group: "帳號管理",
      title: "預約管理作業",
      href: "/admin/scheduled",
      allowed: isAdmin,
      counts: (a) => one("待執行", deps.scheduled.pendingCount(a)),
    },
    {
      id: "directory",
      group: "AD 同步管理作業",
      title: "AD 同步管理作業",
      href: "/admin/directory",
      allowed: isSysAdmin,
      async counts(a) {
        const s = await deps.directory.status(a);
        return [
          { label: "待同步", n: s.backlog },
          { label: "失敗", n: s.failing + s.dead },
        ];
      },
    },
    {
      id: "sso-applications",
      group: "應用系統服務介接管理",
      title: "介接申請審核",
      href: "/admin/sso-applications",
      allowed: isSysAdmin,
      counts: (a) => one("待審核", deps.ssoApplications.pendingCount(a)),
    },
    {
      id: "sso-clients",
      group: "應用系統服務介接管理",
      title: "單一登入用戶端管理",
      href: "/admin/sso-clients",
      allowed: isSysAdmin,
    },
    { id: "apps", group: "首頁應用程式管理", title: "首頁應用程式管理", href: "/admin/apps", allowed: isSysAdmin },
    { id: "params", group: "系統參數管理", title: "系統參數管理", href: "/admin/params", allowed: isSysAdmin },
    // Issue 15 item 3: mail, SMS, push and AD jobs that stopped retrying, with 重試 and 捨棄.
    {
      id: "jobs",
      group: "系統參數管理",
      title: "背景作業",
      href: "/admin/jobs",
      allowed: isSysAdmin,
      counts: (a) => one("停止重試", deps.jobs.deadCount(a)),
    },
    // 物品管理: admins, and anyone who holds an item or a repair type (表 2 「僅管理保管物品」).
    {
      id: "items",
      group: "物品管理",
      title: "物品管理",
      href: "/admin/items",
      allowed: async (a) => (await deps.items.consoleAccess(a)).manage,
    },
    {
      id: "repair-types",
      group: "物品管理",
      title: "報修類型管理",
      href: "/admin/repair-types",
      allowed: async (a) => (await deps.repairs.consoleAccess(a)).manage,
    },
  ];
}

/** The console as one actor sees it: the entries they may use, grouped, with their counts. */
export function createConsole(deps: ConsoleDeps, defs: ConsoleEntryDef[] = consoleEntries(deps)) {
  async function allowedDefs(actor: Actor) {
    const ok = await Promise.all(defs.map((d) => d.allowed(actor)));
    return defs.filter((_, i) => ok[i]);
  }

  return {
    /** Grouped entries with counts; empty when the actor has no console function. */
    async sections(actor: Actor): Promise<ConsoleSection[]> {
      const mine = await allowedDefs(actor);
      const counted = await Promise.all(
        mine.map(async (d) => ({
          id: d.id,
          title: d.title,
          href: d.href,
          counts: d.counts ? await d.counts(actor) : [],
        })),
      );
      return consoleGroups
        .map((group) => ({ group, entries: counted.filter((_, i) => mine[i]!.group === group) }))
        .filter((s) => s.entries.length > 0);
    },

    /** Whether the header shows 管理主控台 (no counts: it runs on every page). */
    async hasAny(actor: Actor): Promise<boolean> {
      // In order, stopping at the first: an admin's first entry needs no query.
      for (const d of defs) if (await d.allowed(actor)) return true;
      return false;
    },
  };
}

export type ConsoleService = ReturnType<typeof createConsole>;
