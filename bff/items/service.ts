import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { Item, ItemKind } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { parseId, parseInput } from "../validation.js";
import { personOfAgency } from "../custodians/slots.js";
import { createCustodians } from "./custodians.js";
import { withoutMetadata } from "./image-metadata.js";
import { IMAGE_MAX_BYTES, IMAGE_REFUSED, IMAGES_PER_ITEM, sniffImage } from "./images.js";
import { agencyPeople, checkAgencies, custodiansOf, escapeLike, manageableItem } from "./queries.js";
import { createRecords } from "./records.js";
import { canCreate, manageableBy, mayManageAgency } from "./scope.js";
import { bookableBy } from "./visibility.js";
import {
  type DriverChangeInput,
  driverChange,
  holderLabels,
  type ItemData,
  type ItemFormInput,
  itemCreate,
  itemUpdate,
  kindLabels,
  type ListQuery,
  listedMissing,
  listQuery,
  type PeopleQuery,
  peopleQuery,
} from "./schemas.js";
import { inTransaction } from "../../db/transaction.js";

export const PAGE_SIZE = 10;

/** 全部: what I may manage; 本機關: of those, the ones my agency manages; keyword; page. */
export type ListOptions = ListQuery;

/**
 * 物品管理 (ITM-1..4): venues, official cars and dispatched drivers. Every function takes
 * the actor first; anything outside what the actor may manage is not found (404).
 */
export function createItemsService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;
  const custodians = createCustodians(deps);
  const records = createRecords(deps);

  /** 物品管理 appears for admins and for anyone holding an item (manual 表 2). */
  async function consoleAccess(actor: Actor) {
    if (canCreate(actor)) return { manage: true, create: true };
    const held = await db
      .selectFrom("items as i")
      .select("i.id")
      .where(manageableBy(actor))
      .limit(1)
      .executeTakeFirst();
    return { manage: Boolean(held), create: false };
  }

  async function list(actor: Actor, kind: ItemKind, opts: ListOptions) {
    const { tab, q, page } = parseInput(listQuery, opts);
    let query = db
      .selectFrom("items as i")
      .innerJoin("org_nodes as ag", "ag.id", "i.agency_id")
      .innerJoin("sites as s", "s.id", "i.site_id")
      .where("i.kind", "=", kind)
      .where(manageableBy(actor));
    if (tab === "own") query = query.where("i.agency_id", "=", actor.agencyId);
    if (q) {
      const like = `%${escapeLike(q)}%`;
      query = query.where((eb) =>
        eb.or([
          eb("i.name", "ilike", like),
          eb("ag.name", "ilike", like),
          ...(kind === "car" ? [eb("i.plate_no", "ilike", like)] : []),
          ...(kind === "driver" ? [eb("i.licence", "ilike", like)] : []),
        ]),
      );
    }
    const [rows, total] = await Promise.all([
      query
        .select([
          "i.id",
          "i.name",
          "i.floor",
          "i.capacity",
          "i.plate_no",
          "i.passenger_limit",
          "i.licence",
          "i.phone",
          "i.is_public",
          "i.open_from",
          "i.open_to",
          "ag.name as agencyName",
          "s.name as siteName",
          sql<
            string | null
          >`(SELECT string_agg(a.name, '、' ORDER BY ic.slot) FROM item_custodians ic JOIN accounts a ON a.id = ic.account_id WHERE ic.item_id = i.id)`.as(
            "custodianNames",
          ),
        ])
        .orderBy("i.name")
        .orderBy("i.id")
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .execute(),
      query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: total.n, page, pageSize: PAGE_SIZE, tab, q };
  }

  /** Choices for the forms: sites, every agency (for 允許借用機關), and those I may name as 管理機關. */
  async function formOptions(actor: Actor) {
    const [sites, agencies] = await Promise.all([
      db.selectFrom("sites").select(["id", "name"]).where("active", "=", true).orderBy("sort").orderBy("id").execute(),
      db
        .selectFrom("org_nodes")
        .select(["id", "name"])
        .where("kind", "=", "agency")
        .where("active", "=", true)
        .orderBy("sort")
        .orderBy("id")
        .execute(),
    ]);
    return { sites, agencies, managing: agencies.filter((a) => mayManageAgency(actor, a.id)) };
  }

  /**
   * The people who may become custodian: enabled accounts of the item's managing agency
   * (`itemId`, for an item I manage) or of an agency I may create items for (`agencyId`).
   */
  async function people(actor: Actor, raw: PeopleQuery) {
    const where = parseInput(peopleQuery, raw);
    let agencyId: number;
    if (raw.itemId !== undefined && raw.itemId !== null && raw.itemId !== "") {
      agencyId = (await manageableItem(db, actor, null, raw.itemId)).agency_id;
    } else {
      if (where.agencyId === null || !mayManageAgency(actor, where.agencyId)) throw notFound();
      agencyId = where.agencyId;
    }
    return agencyPeople(db, agencyId, where.q, 50);
  }

  /** One item with all it shows on its detail page. */
  async function get(actor: Actor, kind: ItemKind, itemId: unknown) {
    const item = await manageableItem(db, actor, kind, itemId);
    const [meta, listed, holders, images, drivers] = await Promise.all([
      db
        .selectFrom("org_nodes as ag")
        .innerJoin("sites as s", (j) => j.on("s.id", "=", item.site_id))
        .select(["ag.name as agencyName", "s.name as siteName"])
        .where("ag.id", "=", item.agency_id)
        .executeTakeFirstOrThrow(),
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
      kind === "car" ? boundDrivers(item.id) : Promise.resolve([]),
    ]);
    return {
      item: { ...item, open_from: item.open_from?.slice(0, 5) ?? null, open_to: item.open_to?.slice(0, 5) ?? null },
      ...meta,
      listed,
      custodians: holders,
      images,
      drivers,
      /** 管理機關 can be changed by nobody after creation (see update). */
      canCreate: canCreate(actor),
    };
  }

  /**
   * The database's part of an item form: 所在地 is a live site, 管理機關 and the listed
   * 其他機關 are agencies (the managing agency itself is dropped from the list); field errors.
   */
  async function checkRefs(trx: Database, kind: ItemKind, v: ItemData, agencyId: number): Promise<number[]> {
    const fields: Record<string, string> = {};
    const site = await trx
      .selectFrom("sites")
      .select("id")
      .where("id", "=", v.siteId)
      .where("active", "=", true)
      .executeTakeFirst();
    if (!site) fields.siteId = "請選擇所在地";
    const listed = v.listedAgencyIds.filter((id) => id !== agencyId);
    if (v.borrowScope === "listed" && listed.length === 0) fields.listedAgencyIds = listedMissing(kind);
    await checkAgencies(trx, { agencyId, listedAgencyIds: listed }, fields);
    if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
    return listed;
  }

  /** The unique plate index refuses a second live car with the same 車號. */
  function plateTaken(e: unknown): boolean {
    const err = e as { code?: string; constraint?: string };
    return err?.code === "23505" && err.constraint === "items_car_plate";
  }

  /** ITM: only agency admins (their own agency) and system admins create; slot 1 is required. */
  async function create(actor: Actor, kind: ItemKind, raw: ItemFormInput): Promise<{ id: number; name: string }> {
    if (!canCreate(actor)) throw notFound();
    const now = clock.now();
    const v = parseInput(itemCreate(kind, now), raw);
    const holder = holderLabels[kind];
    if (!mayManageAgency(actor, v.agencyId))
      throw new DomainError("invalid", "請修正標示的欄位。", { agencyId: `您只能新增本機關的${kindLabels[kind]}` });
    const slots = [
      [1, v.custodian1],
      [2, v.custodian2],
    ] as const;

    try {
      return await inTransaction(db, async (trx) => {
        const listed = await checkRefs(trx, kind, v, v.agencyId);
        const people: Record<string, string> = {};
        for (const [slot, id] of slots) {
          if (id !== null && !(await personOfAgency(trx, id, v.agencyId)))
            people[`custodian${slot}`] = `${holder}須為管理機關的在職同仁`;
        }
        if (Object.keys(people).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", people);
        const row = await trx
          .insertInto("items")
          .values({
            kind,
            agency_id: v.agencyId,
            ...columnsOf(v),
            deleted_at: null,
            created_at: now,
            updated_at: now,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        if (listed.length > 0)
          await trx
            .insertInto("item_allowed_agencies")
            .values(listed.map((agency_id) => ({ item_id: row.id, agency_id })))
            .execute();
        for (const [slot, accountId] of slots) {
          if (accountId === null) continue;
          await trx.insertInto("item_custodians").values({ item_id: row.id, slot, account_id: accountId }).execute();
          await trx
            .insertInto("custodian_changes")
            .values({
              item_id: row.id,
              slot,
              from_account_id: null,
              to_account_id: accountId,
              reason: `新增${kindLabels[kind]}時設定`,
              actor_id: actor.accountId,
              at: now,
            })
            .execute();
        }
        await writeAudit(trx, actor, now, {
          action: "item.create",
          targetType: "item",
          targetId: row.id,
          detail: { kind, name: v.name, agencyId: v.agencyId, custodians: [v.custodian1, v.custodian2] },
        });
        return { id: row.id, name: v.name };
      });
    } catch (e) {
      if (plateTaken(e))
        throw new DomainError("invalid", "請修正標示的欄位。", { plateNo: "此車號已登記為其他公務車" });
      throw e;
    }
  }

  /**
   * Edits an item's data. 管理機關 stays as created (decision): custodians and a car's
   * drivers belong to it, and a custodian must not move an item out of their own agency.
   */
  async function update(actor: Actor, kind: ItemKind, itemId: unknown, raw: ItemFormInput): Promise<{ name: string }> {
    const now = clock.now();
    const v = parseInput(itemUpdate(kind, now), raw);
    const item = await manageableItem(db, actor, kind, itemId);
    try {
      await inTransaction(db, async (trx) => {
        const listed = await checkRefs(trx, kind, v, item.agency_id);
        await trx
          .updateTable("items")
          .set({ ...columnsOf(v), updated_at: now })
          .where("id", "=", item.id)
          .execute();
        await trx.deleteFrom("item_allowed_agencies").where("item_id", "=", item.id).execute();
        if (listed.length > 0)
          await trx
            .insertInto("item_allowed_agencies")
            .values(listed.map((agency_id) => ({ item_id: item.id, agency_id })))
            .execute();
        await writeAudit(trx, actor, now, {
          action: "item.update",
          targetType: "item",
          targetId: item.id,
          detail: { kind, changed: changedColumns(item, v) },
        });
      });
    } catch (e) {
      if (plateTaken(e))
        throw new DomainError("invalid", "請修正標示的欄位。", { plateNo: "此車號已登記為其他公務車" });
      throw e;
    }
    return { name: v.name };
  }

  /** Soft delete (deleted_at), refused while a future pending or approved booking holds the item. */
  async function remove(actor: Actor, kind: ItemKind, itemId: unknown): Promise<{ name: string }> {
    const item = await manageableItem(db, actor, kind, itemId);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      await trx.selectFrom("items").select("id").where("id", "=", item.id).forUpdate().executeTakeFirst();
      const future = await trx
        .selectFrom("bookings as b")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where((eb) => eb.or([eb("b.item_id", "=", item.id), eb("b.driver_id", "=", item.id)]))
        .where("b.status", "in", ["pending", "approved"])
        .where(sql<boolean>`upper(b.during) > ${now}`)
        .executeTakeFirstOrThrow();
      if (future.n > 0) {
        const what = kind === "driver" ? "派遣" : "借用";
        throw new DomainError(
          "conflict",
          `此${kindLabels[kind]}尚有 ${future.n} 筆未結束的${what}申請（未審核或已核准），請先處理後再刪除。`,
        );
      }
      await trx.updateTable("items").set({ deleted_at: now, updated_at: now }).where("id", "=", item.id).execute();
      await writeAudit(trx, actor, now, {
        action: "item.delete",
        targetType: "item",
        targetId: item.id,
        detail: { kind, name: item.name },
      });
    });
    return { name: item.name };
  }

  // ---- A car's drivers (ITM-2) ----

  function boundDrivers(carId: number) {
    return db
      .selectFrom("car_drivers as cd")
      .innerJoin("items as d", "d.id", "cd.driver_id")
      .select(["d.id", "d.name", "d.licence", "d.phone"])
      .where("cd.car_id", "=", carId)
      .where("d.deleted_at", "is", null)
      .orderBy("d.name")
      .orderBy("d.id")
      .execute();
  }

  /** 選擇公務車司機: the managing agency's drivers, with whether each is bound to this car. */
  async function driverChoices(actor: Actor, carId: unknown) {
    const car = await manageableItem(db, actor, "car", carId);
    return db
      .selectFrom("items as d")
      .leftJoin("car_drivers as cd", (j) => j.onRef("cd.driver_id", "=", "d.id").on("cd.car_id", "=", car.id))
      .select(["d.id", "d.name", "d.licence", "d.phone", sql<boolean>`cd.car_id IS NOT NULL`.as("bound")])
      .where("d.kind", "=", "driver")
      .where("d.agency_id", "=", car.agency_id)
      .where("d.deleted_at", "is", null)
      .orderBy("d.name")
      .orderBy("d.id")
      .limit(500)
      .execute();
  }

  /**
   * Binds drivers to a car (`add`), unbinds them (`remove`) or sets the whole list (`set`).
   * Only live drivers of the car's managing agency may be bound.
   */
  async function changeDrivers(actor: Actor, carId: unknown, mode: "add" | "remove" | "set", raw: DriverChangeInput) {
    const { driverIds: ids } = parseInput(driverChange(mode), raw);
    const car = await manageableItem(db, actor, "car", carId);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      if (mode !== "remove" && ids.length > 0) {
        const ok = await trx
          .selectFrom("items")
          .select("id")
          .where("id", "in", ids)
          .where("kind", "=", "driver")
          .where("agency_id", "=", car.agency_id)
          .where("deleted_at", "is", null)
          .execute();
        if (ok.length !== ids.length)
          throw new DomainError("invalid", "所選司機須為管理機關的派遣司機。", {
            driverIds: "所選司機須為管理機關的派遣司機",
          });
      }
      if (mode === "set") await trx.deleteFrom("car_drivers").where("car_id", "=", car.id).execute();
      if (mode === "remove")
        await trx.deleteFrom("car_drivers").where("car_id", "=", car.id).where("driver_id", "in", ids).execute();
      else if (ids.length > 0)
        await trx
          .insertInto("car_drivers")
          .values(ids.map((driver_id) => ({ car_id: car.id, driver_id })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      await writeAudit(trx, actor, now, {
        action: `item.drivers.${mode}`,
        targetType: "item",
        targetId: car.id,
        detail: { driverIds: ids },
      });
    });
  }

  // ---- Venue images (ITM-1 場地相關圖檔) ----

  async function addImage(actor: Actor, itemId: unknown, bytes: Uint8Array): Promise<{ id: number }> {
    const item = await manageableItem(db, actor, "venue", itemId);
    if (bytes.length === 0) throw new DomainError("invalid", "請選擇要上傳的圖片。", { image: "請選擇要上傳的圖片" });
    const type = bytes.length <= IMAGE_MAX_BYTES ? sniffImage(bytes) : null;
    // Issue 14: stored without EXIF/GPS, whatever its size; re-encoded before the transaction opens.
    const clean = type ? await withoutMetadata(bytes, type) : null;
    if (!type || !clean) throw new DomainError("invalid", IMAGE_REFUSED, { image: IMAGE_REFUSED });
    const now = clock.now();
    return inTransaction(db, async (trx) => {
      await trx.selectFrom("items").select("id").where("id", "=", item.id).forUpdate().executeTakeFirst();
      const count = await trx
        .selectFrom("item_images")
        .select([(eb) => eb.fn.countAll<number>().as("n"), (eb) => eb.fn.max("sort").as("last")])
        .where("item_id", "=", item.id)
        .executeTakeFirstOrThrow();
      if (count.n >= IMAGES_PER_ITEM)
        throw new DomainError("invalid", `每個場地最多 ${IMAGES_PER_ITEM} 張圖片，請先刪除不需要的圖片。`, {
          image: `最多 ${IMAGES_PER_ITEM} 張圖片`,
        });
      const row = await trx
        .insertInto("item_images")
        .values({
          item_id: item.id,
          content_type: type,
          bytes: clean,
          sort: (count.last ?? 0) + 1,
          created_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await writeAudit(trx, actor, now, {
        action: "item.image.add",
        targetType: "item",
        targetId: item.id,
        detail: { imageId: row.id, type, bytes: bytes.length },
      });
      return { id: row.id };
    });
  }

  async function removeImage(actor: Actor, itemId: unknown, imageId: unknown): Promise<void> {
    const item = await manageableItem(db, actor, "venue", itemId);
    const id = parseId(imageId);
    if (id === null) throw notFound();
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const gone = await trx
        .deleteFrom("item_images")
        .where("id", "=", id)
        .where("item_id", "=", item.id)
        .returning("id")
        .executeTakeFirst();
      if (!gone) throw notFound();
      await writeAudit(trx, actor, now, {
        action: "item.image.remove",
        targetType: "item",
        targetId: item.id,
        detail: { imageId: id },
      });
    });
  }

  /**
   * One image's bytes, for those who may see its venue: anyone it is bookable by (which
   * includes custodians, the managing agency's admins and system admins).
   */
  async function image(actor: Actor, imageId: unknown) {
    const id = parseId(imageId);
    if (id === null) throw notFound();
    const row = await db
      .selectFrom("item_images as im")
      .innerJoin("items as i", "i.id", "im.item_id")
      .select(["im.id", "im.content_type", "im.bytes", "im.created_at"])
      .where("im.id", "=", id)
      .where(bookableBy(actor))
      .executeTakeFirst();
    if (!row) throw notFound();
    return { contentType: row.content_type, bytes: row.bytes, createdAt: row.created_at };
  }

  return {
    consoleAccess,
    list,
    formOptions,
    people,
    get,
    create,
    update,
    remove,
    setCustodian: custodians.setCustodian,
    changeLog: custodians.changeLog,
    exportChangeLog: custodians.exportChangeLog,
    driverChoices,
    addDrivers: (actor: Actor, carId: unknown, input: DriverChangeInput) => changeDrivers(actor, carId, "add", input),
    removeDrivers: (actor: Actor, carId: unknown, input: DriverChangeInput) =>
      changeDrivers(actor, carId, "remove", input),
    setDrivers: (actor: Actor, carId: unknown, input: DriverChangeInput) => changeDrivers(actor, carId, "set", input),
    addImage,
    removeImage,
    image,
    records: records.list,
    record: records.detail,
    exportRecords: records.exportRecords,
  };
}

/** The columns an item form writes. */
const columnsOf = (v: ItemData) => ({
  site_id: v.siteId,
  name: v.name,
  is_public: v.isPublic,
  borrow_scope: v.borrowScope,
  open_from: v.openFrom,
  open_to: v.openTo,
  floor: v.floor,
  capacity: v.capacity,
  phone: v.phone,
  description: v.description,
  rules: v.rules,
  plate_no: v.plateNo,
  passenger_limit: v.passengerLimit,
  brand: v.brand,
  year: v.year,
  displacement_cc: v.displacementCc,
  car_no: v.carNo,
  licence: v.licence,
  note: v.note,
});

/** Which audit-worthy columns an edit changed (names only: values may be long). */
function changedColumns(before: Item, v: ItemData): string[] {
  const after: Record<string, unknown> = columnsOf(v);
  const b = before as unknown as Record<string, unknown>;
  return Object.keys(after).filter((k) => {
    const old =
      k === "open_from" || k === "open_to" ? (typeof b[k] === "string" ? (b[k] as string).slice(0, 5) : b[k]) : b[k];
    return (old ?? null) !== (after[k] ?? null);
  });
}

export type ItemsService = ReturnType<typeof createItemsService>;
