import type { Generated } from "kysely";
import type { Default, Nullable } from "../schema.js";

export type AccountChangeKind = "data" | "unit" | "status";

/** ACC-12 change logs: 個人資料 / 隸屬機關(單位) / 帳號狀態 異動紀錄, before → after as display text. */
export interface AccountChangesTable {
  id: Generated<number>;
  account_id: number;
  kind: AccountChangeKind;
  field: string;
  before_value: Default<string>;
  after_value: Default<string>;
  note: Default<string>;
  actor_id: Nullable<number>;
  scheduled_change_id: Nullable<number>;
  at: Date;
}

/** ACC-10/11/12 change logs (issue 6). */
export interface AccountConsoleTables {
  account_changes: AccountChangesTable;
}
