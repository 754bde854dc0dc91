import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  MaxPartSizeExceededError,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
} from "@remix-run/node";
import { formFailure, formValues, load, readForm } from "./errors.server";
import { redirectWithFlash } from "./flash.server";
import { type ItemKind, itemFieldNames, kinds } from "./items";
import { listQuery } from "./list.server";
import { requireActor } from "./session.server";

const IMAGE_REFUSED = "僅接受 JPEG、PNG、WebP 圖片，每張不超過 5 MB";
const notFound = () => new Response("找不到資料", { status: 404 });

/** 物品管理 lists: 全部 / 本機關 tabs, keyword, paging (all in the BFF). */
export function listLoader(kind: ItemKind) {
  return async ({ request, context }: LoaderFunctionArgs) => {
    const actor = await requireActor(request, context);
    const access = await context.services.items.consoleAccess(actor);
    if (!access.manage) throw notFound();
    const list = await context.services.items.list(actor, kind, listQuery(request, ["tab", "q"]));
    return json({ list, canCreate: access.create });
  };
}

/** What an item form sent, as strings, with the listed agencies kept as a comma list. */
function itemValues(form: FormData) {
  const values = formValues(form, [...itemFieldNames, "intent"]);
  const listed = form.getAll("listedAgencyIds").filter((v): v is string => typeof v === "string");
  return { values: { ...values, listedAgencyIds: listed.join(",") }, listed };
}

export function newLoader(kind: ItemKind) {
  return async ({ request, context }: LoaderFunctionArgs) => {
    const actor = await requireActor(request, context);
    const items = context.services.items;
    if (!(await items.consoleAccess(actor)).create) throw notFound();
    const url = new URL(request.url);
    const carId = kind === "car" ? url.searchParams.get("car") : null;
    if (carId) {
      // Step 2 of a new car: pick its drivers.
      const car = await load(() => items.get(actor, "car", carId));
      const drivers = await items.driverChoices(actor, car.item.id);
      return json({
        step: "drivers" as const,
        car: { id: car.item.id, name: car.item.name, plate: car.item.plate_no },
        drivers,
        options: null,
        people: [],
        agencyId: 0,
      });
    }
    const options = await items.formOptions(actor);
    const asked = Number(url.searchParams.get("agency"));
    const agencyId =
      options.managing.find((a) => a.id === asked)?.id ??
      (options.managing.find((a) => a.id === actor.agencyId) ?? options.managing[0])?.id ??
      0;
    const people = agencyId ? await items.people(actor, { agencyId }) : [];
    return json({ step: "data" as const, car: null, drivers: [], options, people, agencyId });
  };
}

export function newAction(kind: ItemKind) {
  return async ({ request, context }: ActionFunctionArgs) => {
    const actor = await requireActor(request, context);
    const form = await readForm(request);
    const items = context.services.items;
    const path = kinds[kind].path;
    if (form.get("intent") === "drivers" && kind === "car") {
      const carId = String(form.get("carId") ?? "");
      try {
        await items.setDrivers(actor, carId, { driverIds: form.getAll("driverIds") });
      } catch (e) {
        return formFailure(e, { intent: "drivers" });
      }
      return redirectWithFlash(context, `/admin/items/cars/${carId}`, "已儲存公務車司機");
    }
    const { values, listed } = itemValues(form);
    let created: { id: number; name: string };
    try {
      created = await items.create(actor, kind, { ...values, listedAgencyIds: listed });
    } catch (e) {
      return formFailure(e, values);
    }
    const message = `已新增${kinds[kind].label}「${created.name}」`;
    return kind === "car"
      ? redirectWithFlash(context, `/admin/items/cars/new?car=${created.id}`, `${message}，請選擇公務車司機`)
      : redirectWithFlash(context, `/admin/items/${path}/${created.id}`, message);
  };
}

export type DetailTab = "info" | "holders" | "records";

export function detailLoader(kind: ItemKind) {
  return async ({ request, context, params }: LoaderFunctionArgs) => {
    const actor = await requireActor(request, context);
    const items = context.services.items;
    const url = new URL(request.url);
    const sp = url.searchParams;
    const tab: DetailTab = sp.get("tab") === "holders" ? "holders" : sp.get("tab") === "records" ? "records" : "info";
    const detail = await load(() => items.get(actor, kind, params.id));
    const id = detail.item.id;
    const filter = { from: sp.get("from") ?? "", to: sp.get("to") ?? "", page: sp.get("page") ?? "" };
    const [options, driverChoices, changeLog, people, records, record] = await Promise.all([
      tab === "info" ? items.formOptions(actor) : null,
      tab === "info" && kind === "car" ? items.driverChoices(actor, id) : null,
      tab === "holders" ? items.changeLog(actor, kind, id, filter) : null,
      tab === "holders" ? items.people(actor, { itemId: id, q: sp.get("q") ?? "" }) : null,
      tab === "records" ? items.records(actor, kind, id, filter) : null,
      tab === "records" && sp.get("detail") ? load(() => items.record(actor, kind, id, sp.get("detail"))) : null,
    ]);
    return json({ tab, detail, options, driverChoices, changeLog, people, records, record });
  };
}

async function readMultipart(request: Request): Promise<FormData | string> {
  try {
    let files = 0;
    return await unstable_parseMultipartFormData(
      request,
      unstable_createMemoryUploadHandler({
        maxPartSize: 5_242_880,
        // One image per upload; anything else in the body is ignored.
        filter: ({ name, filename }) => (filename ? name === "image" && files++ === 0 : true),
      }),
    );
  } catch (e) {
    if (e instanceof MaxPartSizeExceededError || (e as Error)?.constructor?.name === "MaxPartSizeExceededError")
      return IMAGE_REFUSED;
    return "上傳失敗，請重新選擇圖片後再試一次。";
  }
}

/**
 * The detail page's forms. A success redirects back to the tab it came from with a flash
 * message (so a reload does not post again); a refusal renders inline with what was typed.
 */
export function detailAction(kind: ItemKind) {
  return async ({ request, context, params }: ActionFunctionArgs) => {
    const actor = await requireActor(request, context);
    const items = context.services.items;
    const id = params.id;
    const k = kinds[kind];
    const base = `/admin/items/${k.path}/${id}`;
    const done = (message: string, tab?: "holders") =>
      redirectWithFlash(context, tab ? `${base}?tab=${tab}` : base, message);
    const isMultipart = (request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");
    if (isMultipart) {
      const form = await readMultipart(request);
      if (typeof form === "string") {
        // Still a 404 for those who may not manage the item.
        await load(() => items.get(actor, kind, id));
        return json(
          { ok: false as const, message: form, fields: { image: form }, values: { intent: "addImage" } },
          { status: 400 },
        );
      }
      const file = form.get("image");
      try {
        const bytes = file && typeof file !== "string" ? new Uint8Array(await file.arrayBuffer()) : new Uint8Array();
        await items.addImage(actor, id, bytes);
      } catch (e) {
        return formFailure(e, { intent: "addImage" });
      }
      return done("已上傳圖片");
    }
    const form = await readForm(request);
    const intent = String(form.get("intent") ?? "");
    try {
      switch (intent) {
        case "save": {
          const { values, listed } = itemValues(form);
          let saved: { name: string };
          try {
            saved = await items.update(actor, kind, id, { ...values, listedAgencyIds: listed });
          } catch (e) {
            return formFailure(e, values);
          }
          return done(`已儲存${k.label}「${saved.name}」`);
        }
        case "delete": {
          const { name } = await items.remove(actor, kind, id);
          return redirectWithFlash(context, `/admin/items/${k.path}`, `已刪除${k.label}「${name}」`);
        }
        case "custodian": {
          const values = formValues(form, ["intent", "slot", "accountId", "reason", "remove"]);
          const removing = values.remove === "1";
          try {
            await items.setCustodian(actor, kind, id, {
              slot: values.slot,
              accountId: removing ? "" : values.accountId,
              reason: values.reason,
            });
          } catch (e) {
            return formFailure(e, values);
          }
          return done(removing ? `已移除${k.holder} ${values.slot}` : `已設定${k.holder} ${values.slot}`, "holders");
        }
        case "removeImage":
          await items.removeImage(actor, id, form.get("imageId"));
          return done("已刪除圖片");
        case "addDrivers":
          await items.addDrivers(actor, id, { driverIds: form.getAll("driverIds") });
          return done("已綁定司機");
        case "removeDriver":
          await items.removeDrivers(actor, id, { driverIds: [form.get("driverId")] });
          return done("已移除司機");
        default:
          throw new Response("不支援的操作", { status: 400 });
      }
    } catch (e) {
      return formFailure(e, { intent });
    }
  };
}
