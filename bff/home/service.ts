import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import type { AccountsService } from "../accounts/service.js";
import type { AdminSystems } from "../ports/admin-systems.js";
import type { Clock } from "../ports/clock.js";
import { taipeiParts } from "../time.js";

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
  clock: Clock;
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
      greeting: greetingAt(deps.clock.now()),
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

/** By the Taipei hour, on the server, so the page never renders two different greetings. */
function greetingAt(now: Date): string {
  const hour = taipeiParts(now).hour;
  if (hour < 11) return "早安";
  if (hour < 18) return "午安";
  return "晚安";
}

export type HomeService = ReturnType<typeof createHomeService>;
