import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- RPR-1 報修類型: owned by an agency; who may report follows the items' rule
-- (all / own / own + listed agencies).
CREATE TABLE repair_types (
  id            serial PRIMARY KEY,
  agency_id     int NOT NULL REFERENCES org_nodes(id),                -- 管理機關
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100), -- 報修類型
  report_scope  text NOT NULL CHECK (report_scope IN ('all', 'own', 'listed')), -- 允許報修機關
  vendor_name   text,                                                 -- 報修廠商資訊: 廠商名稱
  vendor_phone  text,                                                 -- 廠商聯絡電話
  categories    text[] NOT NULL DEFAULT '{}',                         -- 處理分類 choices
  deleted_at    timestamptz,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX repair_types_agency ON repair_types (agency_id) WHERE deleted_at IS NULL;

CREATE TABLE repair_type_agencies (
  type_id    int NOT NULL REFERENCES repair_types(id) ON DELETE CASCADE,
  agency_id  int NOT NULL REFERENCES org_nodes(id),
  PRIMARY KEY (type_id, agency_id)
);

-- 維修人員: the vendor's staff who handle this type's tickets.
CREATE TABLE repair_type_vendors (
  type_id     int NOT NULL REFERENCES repair_types(id) ON DELETE CASCADE,
  account_id  int NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (type_id, account_id)
);
CREATE INDEX repair_type_vendors_account ON repair_type_vendors (account_id);

-- 保管人: slot 1 required (by the service), slot 2 optional.
CREATE TABLE repair_type_custodians (
  type_id     int NOT NULL REFERENCES repair_types(id) ON DELETE CASCADE,
  slot        int NOT NULL CHECK (slot IN (1, 2)),
  account_id  int NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (type_id, slot),
  UNIQUE (type_id, account_id)
);
CREATE INDEX repair_type_custodians_account ON repair_type_custodians (account_id);

CREATE TABLE repair_custodian_changes (
  id               bigserial PRIMARY KEY,
  type_id          int NOT NULL REFERENCES repair_types(id) ON DELETE CASCADE,
  slot             int NOT NULL CHECK (slot IN (1, 2)),
  from_account_id  int REFERENCES accounts(id),
  to_account_id    int REFERENCES accounts(id),
  reason           text NOT NULL,
  actor_id         int REFERENCES accounts(id),
  at               timestamptz NOT NULL
);
CREATE INDEX repair_custodian_changes_type ON repair_custodian_changes (type_id, at DESC);

-- RPR-2/3 報修單: pending (待處理) -> processed (已處理), or returned (已退回) to the reporter,
-- who edits and resubmits it (pending again); return_count counts the returns (退回次數).
CREATE TABLE repair_tickets (
  id             serial PRIMARY KEY,
  type_id        int NOT NULL REFERENCES repair_types(id),
  reporter_id    int NOT NULL REFERENCES accounts(id),
  unit_id        int NOT NULL REFERENCES org_nodes(id),               -- 報修單位, as when reported
  phone          text NOT NULL CHECK (length(phone) BETWEEN 1 AND 30), -- 報修人員公務電話
  site_id        int NOT NULL REFERENCES sites(id),                   -- 所在地點
  floor          text NOT NULL CHECK (length(floor) BETWEEN 1 AND 20), -- 所在樓層
  description    text NOT NULL CHECK (length(description) BETWEEN 1 AND 1000), -- 故障原因
  status         text NOT NULL CHECK (status IN ('pending', 'processed', 'returned')),
  return_count   int NOT NULL DEFAULT 0 CHECK (return_count >= 0),
  return_reason  text,
  handler_name   text,                                               -- 處理人員
  handled_at     timestamptz,                                        -- 處理時間
  result         text,                                               -- 處理結果
  category       text,                                               -- 分類
  handled_by     int REFERENCES accounts(id),
  created_at     timestamptz NOT NULL,                               -- 報修日期
  updated_at     timestamptz NOT NULL,
  CHECK (status <> 'processed' OR (handler_name IS NOT NULL AND handled_at IS NOT NULL AND result IS NOT NULL))
);
CREATE INDEX repair_tickets_type_created ON repair_tickets (type_id, created_at, id);
CREATE INDEX repair_tickets_reporter ON repair_tickets (reporter_id, created_at DESC);
CREATE INDEX repair_tickets_pending ON repair_tickets (type_id) WHERE status = 'pending';

-- Photos, in the database so every app server sees them (at most 3 a ticket, by the service).
CREATE TABLE repair_photos (
  id            serial PRIMARY KEY,
  ticket_id     int NOT NULL REFERENCES repair_tickets(id) ON DELETE CASCADE,
  content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
  bytes         bytea NOT NULL CHECK (octet_length(bytes) <= 5242880),
  sort          int NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL
);
CREATE INDEX repair_photos_ticket ON repair_photos (ticket_id, sort);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `DROP TABLE repair_photos, repair_tickets, repair_custodian_changes, repair_type_custodians, repair_type_vendors, repair_type_agencies, repair_types;`,
    )
    .execute(db);
}
