import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import type { AccountsService } from "../accounts/service.js";
import type { AdminSystems } from "../ports/admin-systems.js";

/** One "waiting for me" figure on the home page (PRT-1). */
export interface HomeCount {
  key: string;
  label: string;
  count: number;
  href: string;
}

/** Each feature contributes its own counts (reviews, bookings, tickets …). */
export type HomeCountSource = (db: Database, actor: Actor) => Promise<HomeCount[]>;

export function createHomeService(deps: {
  db: Database;
  accounts: AccountsService;
  adminSystems: AdminSystems;
  countSources: HomeCountSource[];
}) {
  async function home(actor: Actor) {
    const [me, countLists, widgets] = await Promise.all([
      deps.accounts.myAccount(actor),
      Promise.all(deps.countSources.map((source) => source(deps.db, actor))),
      deps.adminSystems.widgets(actor),
    ]);
    return {
      name: me.name,
      unitName: me.unitName,
      agencyName: me.agencyName,
      passwordDaysLeft: me.passwordDaysLeft,
      counts: countLists.flat(),
      widgets,
    };
  }

  /** The reminder shown on every page (ACC-17). */
  async function passwordDaysLeft(actor: Actor): Promise<number | null> {
    return (await deps.accounts.myAccount(actor)).passwordDaysLeft;
  }

  return { home, passwordDaysLeft };
}

export type HomeService = ReturnType<typeof createHomeService>;
