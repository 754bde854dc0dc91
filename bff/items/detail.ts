import type { ItemKind } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import type { IdParam } from "../validation.js";
import type { ItemDeps } from "./deps.js";
import { boundDrivers } from "./drivers.js";
import { custodiansOf, manageableItem, placeOf } from "./queries.js";
import { canCreate } from "./scope.js";

/** One item with all its detail page shows: place, listed agencies, holders, images, drivers. */
export function createDetail(deps: ItemDeps) {
  const { db } = deps;

  async function get(actor: Actor, kind: ItemKind, itemId: IdParam) {
    const item = await manageableItem(db, actor, kind, itemId);
    const [place, listed, holders, images, drivers] = await Promise.all([
      placeOf(db, item),
      db
        .selectFrom("item_allowed_agencies as ia")
        .innerJoin("org_nodes as ag", "ag.id", "ia.agency_id")
        .select(["ag.id", "ag.name"])
        .where("ia.item_id", "=", item.id)
        .orderBy("ag.sort")
        .orderBy("ag.id")
        .execute(),
      custodiansOf(db, item.id),
      db
        .selectFrom("item_images")
        .select(["id", "content_type", "sort"])
        .where("item_id", "=", item.id)
        .orderBy("sort")
        .orderBy("id")
        .execute(),
      kind === "car" ? boundDrivers(db, item.id) : Promise.resolve([]),
    ]);
    return {
      item: { ...item, open_from: item.open_from?.slice(0, 5) ?? null, open_to: item.open_to?.slice(0, 5) ?? null },
      ...place,
      listed,
      custodians: holders,
      images,
      drivers,
      /** 管理機關 can be changed by nobody after creation (see update). */
      canCreate: canCreate(actor),
    };
  }

  return { get };
}
