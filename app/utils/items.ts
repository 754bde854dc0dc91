/** 物品管理: the words and paths of each kind, as the manual names them. */
export type ItemKind = "venue" | "car" | "driver";

export interface KindConfig {
  kind: ItemKind;
  path: string; // /admin/items/<path>
  label: string;
  listTitle: string;
  detailTitle: string;
  newLabel: string;
  nameLabel: string;
  holder: string; // 保管人 / 管理人
  infoTab: string;
  holderTab: string;
  recordsTab: string;
  dateLabel: string; // 借用日期 / 派遣日期
  verb: string; // 借用 / 派遣
}

export const kinds: Record<ItemKind, KindConfig> = {
  venue: {
    kind: "venue",
    path: "venues",
    label: "場地",
    listTitle: "場地清單管理",
    detailTitle: "場地管理",
    newLabel: "新增場地",
    nameLabel: "場地名稱",
    holder: "保管人",
    infoTab: "場地資訊",
    holderTab: "保管人設定",
    recordsTab: "借用紀錄",
    dateLabel: "借用日期",
    verb: "借用",
  },
  car: {
    kind: "car",
    path: "cars",
    label: "公務車",
    listTitle: "公務車清單管理",
    detailTitle: "公務車管理",
    newLabel: "新增公務車",
    nameLabel: "車型",
    holder: "保管人",
    infoTab: "公務車資訊",
    holderTab: "保管人設定",
    recordsTab: "借用紀錄",
    dateLabel: "借用日期",
    verb: "借用",
  },
  driver: {
    kind: "driver",
    path: "drivers",
    label: "派遣司機",
    listTitle: "派遣司機清單管理",
    detailTitle: "派遣司機管理",
    newLabel: "新增司機",
    nameLabel: "司機姓名",
    holder: "管理人",
    infoTab: "司機資訊",
    holderTab: "管理人員設定",
    recordsTab: "派遣紀錄",
    dateLabel: "派遣日期",
    verb: "派遣",
  },
};

export const kindByPath = (path: string | undefined): ItemKind | null =>
  path === "venues" ? "venue" : path === "cars" ? "car" : path === "drivers" ? "driver" : null;

export const scopeLabels = (verb: string) => ({
  all: "全府",
  own: `僅限機關同仁${verb}(不含所屬機關)`,
  listed: `開放機關同仁及其他機關人員${verb}(其他機關由下方功能進行編輯)`,
});

/** "YYYY-MM-DDTHH:mm" wall clock of an instant in Taipei, for display of a time only. */
export function taipeiHm(value: Date | string | null | undefined): string {
  if (!value) return "";
  const d = new Date(new Date(value).getTime() + 8 * 3600_000);
  return d.toISOString().slice(11, 16);
}

/** The form fields of an item, in the order the manual lists them. */
export const itemFieldNames = [
  "siteId",
  "agencyId",
  "name",
  "floor",
  "capacity",
  "plateNo",
  "passengerLimit",
  "brand",
  "year",
  "displacementCc",
  "carNo",
  "licence",
  "phone",
  "openFrom",
  "openTo",
  "description",
  "rules",
  "note",
  "isPublic",
  "borrowScope",
  "custodian1",
  "custodian2",
] as const;
