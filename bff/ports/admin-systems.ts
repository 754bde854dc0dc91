import type { Actor } from "../actor.js";

/** PRT-1 widgets fed by other administrative systems (差勤, 公文, 郵件 …). */
export interface WidgetValue {
  key: string;
  label: string;
  /** null when the system is not connected: the UI says 未連線 rather than invent numbers. */
  items: { label: string; value: number }[] | null;
}

export interface AdminSystems {
  widgets(actor: Actor): Promise<WidgetValue[]>;
}

const widgetLabels: [string, string][] = [
  ["attendance-card", "本日刷卡"],
  ["mail", "郵件"],
  ["documents", "公文"],
  ["petitions", "陳情"],
  ["leave", "差勤"],
];

/** The embedded adapter: no system is connected. */
export const disconnectedAdminSystems: AdminSystems = {
  widgets: async () => widgetLabels.map(([key, label]) => ({ key, label, items: null })),
};
