import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// ACC-10/11/12 change logs (issue 6).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- ACC-10 keyword search also matches the unit's name: a trigram index lets
-- "unit name ILIKE '%…%'" find the few matching units without reading them all
-- (accounts' own username/name/title trigram index is accounts_search, 0001).
CREATE INDEX org_nodes_name_trgm ON org_nodes USING gin (name gin_trgm_ops);
-- The list's filters and its stable order (agency, unit, username) within an agency.
CREATE INDEX accounts_role_status ON accounts (role, status, login_permission);

-- ACC-12 change logs, one table for the three tabs:
--   kind 'data'   個人資料異動紀錄     (field, before -> after)
--   kind 'unit'   隸屬機關(單位)異動紀錄 (field unit/title, before -> after, note)
--   kind 'status' 帳號狀態異動紀錄     (field status/role/login_permission/custody, before -> after, note = reason)
-- Before and after are the display text at the time, so the log reads the same after
-- a unit is renamed or an account is removed.
CREATE TABLE account_changes (
  id                   bigserial PRIMARY KEY,
  account_id           int NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  kind                 text NOT NULL CHECK (kind IN ('data', 'unit', 'status')),
  field                text NOT NULL,
  before_value         text NOT NULL DEFAULT '',
  after_value          text NOT NULL DEFAULT '',
  note                 text NOT NULL DEFAULT '',
  actor_id             int REFERENCES accounts(id) ON DELETE SET NULL,
  -- Set when the change was carried out by a 預約生效 job (ACC-9).
  scheduled_change_id  int,
  at                   timestamptz NOT NULL
);
CREATE INDEX account_changes_account ON account_changes (account_id, kind, at DESC, id DESC);
`,
    )
    .execute(db);
}
