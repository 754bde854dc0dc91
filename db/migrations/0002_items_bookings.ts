import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- ITM-1..3: venues, official cars and dispatched drivers share one table: one id space for
-- bookings, custodians and visibility; kind-specific required fields are CHECKed.
CREATE TABLE items (
  id               serial PRIMARY KEY,
  kind             text NOT NULL CHECK (kind IN ('venue', 'car', 'driver')),
  agency_id        int NOT NULL REFERENCES org_nodes(id),          -- 管理機關
  site_id          int NOT NULL REFERENCES sites(id),              -- 所在地
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100), -- 場地名稱 / 車型 / 司機姓名
  is_public        boolean NOT NULL,                               -- 是否公開
  borrow_scope     text NOT NULL CHECK (borrow_scope IN ('all', 'own', 'listed')), -- 允許借用機關
  open_from        time,                                           -- 開放借用時間 (venue, car)
  open_to          time,
  floor            text,                                           -- venue: 所在樓層
  capacity         int CHECK (capacity > 0),                       -- venue: 容納人數
  phone            text,                                           -- venue: 場地電話; driver: 司機聯絡電話
  description      text,                                           -- venue: 場地描述
  rules            text,                                           -- venue: 場地規範
  plate_no         text,                                           -- car: 車號
  passenger_limit  int CHECK (passenger_limit > 0),                -- car: 乘客人數上限
  brand            text,                                           -- car: 廠牌
  year             int CHECK (year BETWEEN 1950 AND 2100),         -- car: 年份
  displacement_cc  int CHECK (displacement_cc > 0),                -- car: 排氣量
  car_no           text,                                           -- car: 公務車編號
  licence          text,                                           -- driver: 司機證照
  note             text,                                           -- car, driver: 備註
  deleted_at       timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CHECK (kind = 'driver' OR (open_from IS NOT NULL AND open_to IS NOT NULL AND open_from < open_to)),
  CHECK (kind <> 'driver' OR (open_from IS NULL AND open_to IS NULL)),
  CHECK (kind <> 'venue' OR (floor IS NOT NULL AND capacity IS NOT NULL)),
  CHECK (kind <> 'car' OR (plate_no IS NOT NULL AND passenger_limit IS NOT NULL AND brand IS NOT NULL
                           AND year IS NOT NULL AND displacement_cc IS NOT NULL AND car_no IS NOT NULL)),
  CHECK (kind <> 'driver' OR (licence IS NOT NULL AND phone IS NOT NULL))
);
CREATE INDEX items_kind_agency ON items (kind, agency_id) WHERE deleted_at IS NULL;
CREATE INDEX items_search ON items USING gin (name gin_trgm_ops);
CREATE UNIQUE INDEX items_car_plate ON items (plate_no) WHERE kind = 'car' AND deleted_at IS NULL;

-- 開放機關同仁及其他機關人員: the other agencies, besides the managing one.
CREATE TABLE item_allowed_agencies (
  item_id    int NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  agency_id  int NOT NULL REFERENCES org_nodes(id),
  PRIMARY KEY (item_id, agency_id)
);

-- Custodians (保管人) of venues and cars, managers (管理人) of drivers: slot 1 required
-- (enforced by the service when an item is created), slot 2 optional.
CREATE TABLE item_custodians (
  item_id     int NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  slot        int NOT NULL CHECK (slot IN (1, 2)),
  account_id  int NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (item_id, slot),
  UNIQUE (item_id, account_id)
);
CREATE INDEX item_custodians_account ON item_custodians (account_id);

-- 保管人異動紀錄.
CREATE TABLE custodian_changes (
  id               bigserial PRIMARY KEY,
  item_id          int NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  slot             int NOT NULL CHECK (slot IN (1, 2)),
  from_account_id  int REFERENCES accounts(id),
  to_account_id    int REFERENCES accounts(id),
  reason           text NOT NULL,
  actor_id         int REFERENCES accounts(id),
  at               timestamptz NOT NULL
);
CREATE INDEX custodian_changes_item ON custodian_changes (item_id, at DESC);

-- Venue images, in the database so every app server sees them.
CREATE TABLE item_images (
  id            serial PRIMARY KEY,
  item_id       int NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
  bytes         bytea NOT NULL CHECK (octet_length(bytes) <= 5242880),
  sort          int NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL
);
CREATE INDEX item_images_item ON item_images (item_id, sort);

-- A car's drivers (ITM-2, second step).
CREATE TABLE car_drivers (
  car_id     int NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  driver_id  int NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  PRIMARY KEY (car_id, driver_id)
);

-- BKG: a pending or approved booking holds its slot; the database refuses overlaps of the
-- same item, and of the same driver, whatever the number of app servers (BKG-2).
CREATE TABLE bookings (
  id                serial PRIMARY KEY,
  item_id           int NOT NULL REFERENCES items(id),
  applicant_id      int NOT NULL REFERENCES accounts(id),
  during            tstzrange NOT NULL CHECK (NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during)),
  status            text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
  reason            text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  attendees         int CHECK (attendees > 0),
  passengers        int CHECK (passengers > 0),
  destination       text,
  driver_id         int REFERENCES items(id),
  decided_by        int REFERENCES accounts(id),
  decided_at        timestamptz,
  decision_comment  text,
  cancelled_at      timestamptz,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  CONSTRAINT bookings_no_overlap EXCLUDE USING gist (item_id WITH =, during WITH &&)
    WHERE (status IN ('pending', 'approved')),
  CONSTRAINT bookings_driver_no_overlap EXCLUDE USING gist (driver_id WITH =, during WITH &&)
    WHERE (driver_id IS NOT NULL AND status IN ('pending', 'approved'))
);
CREATE INDEX bookings_applicant ON bookings (applicant_id, created_at DESC);
CREATE INDEX bookings_item_status ON bookings (item_id, status);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `DROP TABLE bookings, car_drivers, item_images, custodian_changes, item_custodians, item_allowed_agencies, items;`,
    )
    .execute(db);
}
