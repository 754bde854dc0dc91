import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { ConfirmAction } from "~/components/confirm-dialog";
import { useState } from "react";
import { CustodianChangeLog, CustodianSlots } from "~/components/custodians";
import { FormMessage } from "~/components/forms";
import {
  BorrowScopeField,
  Field,
  described,
  ItemFields,
  itemToValues,
  listedFromValues,
  PersonPicker,
  Tabs,
} from "~/components/items";
import { PagedTable, RangeFilter, SearchForm } from "~/components/list-page";
import { formatDateTime } from "~/utils/format";
import { type ItemKind, kinds, taipeiHm } from "~/utils/items";
import type { detailAction, detailLoader, listLoader, newAction, newLoader } from "~/utils/items.server";

/** What an action answers when it refuses (a success redirects with a flash message instead). */
type Failure = { ok: false; message: string; fields: Record<string, string>; values: Record<string, string> };
type ActionResult = Failure | undefined;

function Breadcrumb({ kind, current }: { kind: ItemKind; current?: string }) {
  const k = kinds[kind];
  return (
    <nav aria-label="頁面位置" className="breadcrumb">
      <Link to="/admin/items">物品管理</Link> ›{" "}
      {current ? (
        <Link to={`/admin/items/${k.path}`}>{k.listTitle}</Link>
      ) : (
        <span aria-current="page">{k.listTitle}</span>
      )}
      {current ? (
        <>
          {" "}
          › <span aria-current="page">{current}</span>
        </>
      ) : null}
    </nav>
  );
}

// ---- Lists ----

export function ItemListPage({ kind }: { kind: ItemKind }) {
  const { list, canCreate } = useLoaderData<ReturnType<typeof listLoader>>();
  const k = kinds[kind];
  const tab = list.tab;
  const searchHint =
    kind === "venue"
      ? "以場地名稱、場地所屬機關查詢"
      : kind === "car"
        ? "以公務車車型、公務車所屬機關查詢"
        : "以司機姓名、司機證照、司機所屬機關查詢";
  const tabLink = (t: string) => `?tab=${t}${list.q ? `&q=${encodeURIComponent(list.q)}` : ""}`;
  return (
    <div className="console">
      <Breadcrumb kind={kind} />
      <div className="page-head">
        <h1 className="page-title">{k.listTitle}</h1>
        {canCreate ? (
          <Link to={`/admin/items/${k.path}/new`} className="btn btn-primary">
            {k.newLabel}
          </Link>
        ) : null}
      </div>
      <Tabs
        label={k.listTitle}
        panelId="list-panel"
        current={tab}
        tabs={[
          { id: "all", label: "全部", to: tabLink("all") },
          { id: "own", label: "本機關", to: tabLink("own") },
        ]}
      />
      <section id="list-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} className="card">
        <SearchForm q={list.q} placeholder={searchHint} describe keep={{ tab }} clearTo={`?tab=${tab}`} />
        <PagedTable
          caption={k.listTitle}
          list={list}
          rowKey={(r) => r.id}
          columns={[
            { header: k.nameLabel, cell: (r) => r.name },
            { header: "車號", cell: (r) => r.plate_no, show: kind === "car" },
            { header: "司機證照", cell: (r) => r.licence, show: kind === "driver" },
            { header: "所在地", cell: (r) => r.siteName },
            { header: "所在樓層", cell: (r) => r.floor, show: kind === "venue" },
            { header: "管理機關", cell: (r) => r.agencyName },
            { header: "容納人數", cell: (r) => r.capacity, show: kind === "venue" },
            { header: "乘客人數上限", cell: (r) => r.passenger_limit, show: kind === "car" },
            { header: "司機聯絡電話", cell: (r) => r.phone, show: kind === "driver" },
            {
              header: "開放借用時間",
              cell: (r) => `${r.open_from?.slice(0, 5) ?? ""} - ${r.open_to?.slice(0, 5) ?? ""}`,
              show: kind !== "driver",
            },
            { header: k.holder, cell: (r) => r.custodianNames ?? "" },
            { header: "是否公開", cell: (r) => (r.is_public ? "是" : "否") },
            {
              header: "操作",
              hiddenHeader: true,
              cell: (r) => (
                <Link to={`/admin/items/${k.path}/${r.id}`} className="btn btn-small" aria-label={`編輯 ${r.name}`}>
                  編輯
                </Link>
              ),
            },
          ]}
        />
      </section>
    </div>
  );
}

// ---- New ----

export function ItemNewPage({ kind }: { kind: ItemKind }) {
  const data = useLoaderData<ReturnType<typeof newLoader>>();
  const result = useActionData<ReturnType<typeof newAction>>() as ActionResult;
  const failure = result && !result.ok ? result : undefined;
  const nav = useNavigation();
  const k = kinds[kind];
  const [agencyId, setAgencyId] = useState(Number(failure?.values.agencyId) || data.agencyId);
  if (data.step === "drivers" && data.car) {
    return (
      <div className="console narrow">
        <Breadcrumb kind={kind} current={k.newLabel} />
        <h1 className="page-title">{k.newLabel}</h1>
        <ol className="steps" aria-label="新增步驟">
          <li>
            公務車資料（已儲存：{data.car.name} {data.car.plate}）
          </li>
          <li aria-current="step">選擇公務車司機</li>
        </ol>
        <FormMessage id="drivers-error" message={failure?.message} />
        <Form method="post" className="card">
          <input type="hidden" name="intent" value="drivers" />
          <input type="hidden" name="carId" value={data.car.id} />
          <fieldset className="field">
            <legend>公務車司機</legend>
            <DriverCheckboxes drivers={data.drivers} />
          </fieldset>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={nav.state !== "idle"}>
              儲存
            </button>
            <Link to={`/admin/items/cars/${data.car.id}`} className="btn">
              取消
            </Link>
          </div>
        </Form>
      </div>
    );
  }
  const options = data.options!;
  const values = failure?.values ?? { agencyId: String(data.agencyId), borrowScope: "" };
  const errors = failure?.fields ?? {};
  return (
    <div className="console narrow">
      <Breadcrumb kind={kind} current={k.newLabel} />
      <h1 className="page-title">{k.newLabel}</h1>
      {kind === "car" ? (
        <ol className="steps" aria-label="新增步驟">
          <li aria-current="step">公務車資料</li>
          <li>選擇公務車司機</li>
        </ol>
      ) : null}
      <FormMessage id="new-error" message={failure?.message} />
      <Form method="post" noValidate className="card item-form">
        <input type="hidden" name="intent" value="create" />
        <ItemFields
          kind={kind}
          values={values}
          errors={errors}
          sites={options.sites}
          managing={options.managing}
          onAgencyChange={setAgencyId}
        />
        <BorrowScopeField
          kind={kind}
          agencies={options.agencies}
          defaultScope={values.borrowScope ?? ""}
          defaultListed={listedFromValues(values.listedAgencyIds)}
          errors={errors}
        />
        <fieldset className="field">
          <legend>{k.holder}設定</legend>
          <PersonPicker
            name="custodian1"
            label={`${k.holder} 1`}
            required
            initial={data.people}
            defaultValue={values.custodian1}
            error={errors.custodian1}
            source={{ agencyId }}
          />
          <PersonPicker
            name="custodian2"
            label={`${k.holder} 2`}
            initial={data.people}
            defaultValue={values.custodian2}
            error={errors.custodian2}
            source={{ agencyId }}
            allowEmpty="（不設定）"
          />
        </fieldset>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={nav.state !== "idle"}>
            {kind === "car" ? "下一步" : "儲存"}
          </button>
          <Link to={`/admin/items/${k.path}`} className="btn">
            取消
          </Link>
        </div>
      </Form>
    </div>
  );
}

function DriverCheckboxes({
  drivers,
  onlyUnbound,
}: {
  drivers: { id: number; name: string; licence: string | null; phone: string | null; bound: boolean }[];
  onlyUnbound?: boolean;
}) {
  const shown = onlyUnbound ? drivers.filter((d) => !d.bound) : drivers;
  if (shown.length === 0) return <p className="empty">目前沒有資料</p>;
  return (
    <ul className="check-list">
      {shown.map((d) => (
        <li key={d.id}>
          <label className="choice">
            <input type="checkbox" name="driverIds" value={d.id} defaultChecked={!onlyUnbound && d.bound} />
            {d.name}
            <span className="muted">
              （{d.licence}
              {d.phone ? `，${d.phone}` : ""}）
            </span>
          </label>
        </li>
      ))}
    </ul>
  );
}

// ---- Detail ----

export function ItemDetailPage({ kind }: { kind: ItemKind }) {
  const data = useLoaderData<ReturnType<typeof detailLoader>>();
  const result = useActionData<ReturnType<typeof detailAction>>() as ActionResult;
  const k = kinds[kind];
  const { detail, tab } = data;
  const item = detail.item;
  const base = `/admin/items/${k.path}/${item.id}`;
  return (
    <div className="console">
      <Breadcrumb kind={kind} current={item.name} />
      <p className="eyebrow">{k.detailTitle}</p>
      <h1 className="page-title">{item.name}</h1>
      <Tabs
        label={k.detailTitle}
        panelId="detail-panel"
        current={tab}
        tabs={[
          { id: "info", label: k.infoTab, to: `${base}?tab=info` },
          { id: "holders", label: k.holderTab, to: `${base}?tab=holders` },
          { id: "records", label: k.recordsTab, to: `${base}?tab=records` },
        ]}
      />
      <div id="detail-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "info" ? <InfoTab kind={kind} result={result} /> : null}
        {tab === "holders" ? <HoldersTab kind={kind} result={result} /> : null}
        {tab === "records" ? <RecordsTab kind={kind} /> : null}
      </div>
    </div>
  );
}

function InfoTab({ kind, result }: { kind: ItemKind; result: ActionResult }) {
  const data = useLoaderData<ReturnType<typeof detailLoader>>();
  const nav = useNavigation();
  const { detail } = data;
  const options = data.options!;
  const item = detail.item;
  const failure = result && !result.ok ? result : undefined;
  const saveFailure =
    failure && (failure.values.intent === "save" || failure.values.name !== undefined) ? failure : undefined;
  const values = saveFailure?.values ?? {
    ...itemToValues(item),
    listedAgencyIds: detail.listed.map((a) => a.id).join(","),
  };
  const errors = saveFailure?.fields ?? {};
  const otherFailure = failure && !saveFailure ? failure : undefined;
  const k = kinds[kind];
  return (
    <>
      <FormMessage id="info-error" message={failure?.message} />
      <section className="card" aria-labelledby="info-h">
        <h2 id="info-h">{k.infoTab}</h2>
        <Form method="post" noValidate className="item-form" key={item.updated_at}>
          <input type="hidden" name="intent" value="save" />
          <ItemFields
            kind={kind}
            values={values}
            errors={errors}
            sites={options.sites}
            managing={[]}
            agencyLocked={detail.agencyName}
          />
          <BorrowScopeField
            kind={kind}
            agencies={options.agencies}
            defaultScope={values.borrowScope ?? ""}
            defaultListed={listedFromValues(values.listedAgencyIds)}
            errors={errors}
          />
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={nav.state !== "idle"}>
              儲存
            </button>
            <Link to={`/admin/items/${k.path}`} className="btn">
              取消
            </Link>
          </div>
        </Form>
      </section>
      {kind === "venue" ? (
        <ImagesSection failure={otherFailure?.values.intent === "addImage" ? otherFailure : undefined} />
      ) : null}
      {kind === "car" ? <DriversSection /> : null}
      <section className="card danger-zone" aria-labelledby="delete-h">
        <h2 id="delete-h">刪除{k.label}</h2>
        <ConfirmAction
          name="delete"
          label="刪除"
          title={`確定要刪除「${item.name}」嗎？`}
          consequence="刪除後將無法再借用或管理，無法復原。"
          confirmLabel="確定刪除"
          fields={{ intent: "delete" }}
        />
      </section>
    </>
  );
}

function ImagesSection({ failure }: { failure?: Failure }) {
  const { detail } = useLoaderData<ReturnType<typeof detailLoader>>();
  const nav = useNavigation();
  return (
    <section className="card" aria-labelledby="images-h">
      <h2 id="images-h">場地相關圖檔</h2>
      {detail.images.length === 0 ? (
        <p className="empty">目前沒有資料</p>
      ) : (
        <ul className="image-grid">
          {detail.images.map((img, i) => (
            <li key={img.id}>
              <img src={`/items/images/${img.id}`} alt={`${detail.item.name} 圖片 ${i + 1}`} loading="lazy" />
              <ConfirmAction
                name={`image-${img.id}`}
                label="刪除"
                small
                ariaLabel={`刪除圖片 ${i + 1}`}
                title={`確定要刪除圖片 ${i + 1} 嗎？`}
                consequence="圖片將立即刪除，無法復原。"
                fields={{ intent: "removeImage", imageId: img.id }}
              />
            </li>
          ))}
        </ul>
      )}
      <Form method="post" encType="multipart/form-data" className="upload">
        <Field
          id="f-image"
          label="上傳圖片"
          error={failure?.fields.image}
          hint="僅接受 JPEG、PNG、WebP 圖片，每張不超過 5 MB，最多 10 張"
        >
          <input
            type="file"
            name="image"
            accept="image/jpeg,image/png,image/webp"
            {...described("f-image", failure?.fields.image, "x")}
          />
        </Field>
        <button type="submit" className="btn" disabled={nav.state !== "idle"}>
          上傳
        </button>
      </Form>
    </section>
  );
}

function DriversSection() {
  const { detail, driverChoices } = useLoaderData<ReturnType<typeof detailLoader>>();
  const choices = driverChoices ?? [];
  const unbound = choices.filter((d) => !d.bound);
  return (
    <section className="card" aria-labelledby="drivers-h">
      <h2 id="drivers-h">公務車司機</h2>
      {detail.drivers.length === 0 ? (
        <p className="empty">目前沒有資料</p>
      ) : (
        <ul className="record-list">
          {detail.drivers.map((d) => (
            <li key={d.id}>
              <span>{d.name}</span>
              <span className="muted">
                {d.licence}
                {d.phone ? `・${d.phone}` : ""}
              </span>
              <span className="push-right">
                <ConfirmAction
                  name={`driver-${d.id}`}
                  label="刪除"
                  small
                  ariaLabel={`刪除司機 ${d.name}`}
                  title={`確定要刪除司機「${d.name}」嗎？`}
                  consequence="此司機將立即從此公務車的司機名單移除。"
                  fields={{ intent: "removeDriver", driverId: d.id }}
                />
              </span>
            </li>
          ))}
        </ul>
      )}
      <details className="disclosure">
        <summary className="btn btn-small">選擇公務車司機</summary>
        <Form method="post">
          <fieldset className="field">
            <legend>勾選欲綁定之司機</legend>
            {unbound.length === 0 ? (
              <p className="empty">目前沒有資料</p>
            ) : (
              <DriverCheckboxes drivers={choices} onlyUnbound />
            )}
          </fieldset>
          {unbound.length > 0 ? (
            <button type="submit" name="intent" value="addDrivers" className="btn btn-primary btn-small">
              確定
            </button>
          ) : null}
        </Form>
      </details>
    </section>
  );
}

function HoldersTab({ kind, result }: { kind: ItemKind; result: ActionResult }) {
  const { detail, changeLog, people } = useLoaderData<ReturnType<typeof detailLoader>>();
  const k = kinds[kind];
  const failure = result && !result.ok && result.values.intent === "custodian" ? result : undefined;
  return (
    <>
      <FormMessage id="holder-error" message={failure?.message} />
      <CustodianSlots
        title={k.holderTab}
        holder={k.holder}
        custodians={detail.custodians}
        failure={failure}
        people={people ?? []}
        source={{ itemId: detail.item.id }}
      />
      <CustodianChangeLog
        holder={k.holder}
        log={changeLog!}
        exportPath={`/admin/items/${k.path}/${detail.item.id}/custodian-changes.xlsx`}
      />
    </>
  );
}

function RecordsTab({ kind }: { kind: ItemKind }) {
  const { detail, records, record } = useLoaderData<ReturnType<typeof detailLoader>>();
  const [params] = useSearchParams();
  const k = kinds[kind];
  const list = records!;
  const base = `/admin/items/${k.path}/${detail.item.id}`;
  const exportHref = `${base}/records.xlsx?from=${list.filter.from}&to=${list.filter.to}`;
  const detailHref = (id: number) => {
    const sp = new URLSearchParams(params);
    sp.set("tab", "records");
    sp.set("detail", String(id));
    return `?${sp.toString()}`;
  };
  const closeHref = (() => {
    const sp = new URLSearchParams(params);
    sp.delete("detail");
    return `?${sp.toString()}`;
  })();
  const range = (s: string, e: string) =>
    `${formatDateTime(s)} - ${formatDateTime(s).slice(0, 10) === formatDateTime(e).slice(0, 10) ? taipeiHm(e) : formatDateTime(e)}`;
  return (
    <section className="card" aria-labelledby="records-h">
      <div className="page-head">
        <h2 id="records-h">{k.recordsTab}</h2>
        <a href={exportHref} className="btn btn-small" download>
          匯出
        </a>
      </div>
      <RangeFilter label={k.dateLabel} tab="records" from={list.filter.from} to={list.filter.to} />
      <PagedTable
        caption={`${k.recordsTab}（審核通過，含核准後取消）`}
        list={list}
        rowKey={(r) => r.id}
        columns={[
          { header: k.dateLabel, cell: (r) => range(r.starts_at, r.ends_at) },
          {
            header: "公務車",
            cell: (r) => `${r.itemName}（${r.plateNo}）`,
            show: kind === "driver",
          },
          { header: "申請人", cell: (r) => r.applicantName },
          { header: "申請單位", cell: (r) => r.unitName },
          { header: "申請事由", cell: (r) => r.reason, className: () => "clip" },
          { header: "狀態", cell: (r) => (r.status === "cancelled" ? "已取消" : "已核准") },
          {
            header: "操作",
            hiddenHeader: true,
            cell: (r) => (
              <Link
                to={detailHref(r.id)}
                className="btn btn-small"
                preventScrollReset
                aria-label={`詳細：${r.applicantName} ${formatDateTime(r.starts_at)}`}
              >
                詳細
              </Link>
            ),
          },
        ]}
      />
      {record ? (
        <dialog open className="detail-dialog" aria-labelledby="record-h" aria-modal="false">
          <div className="dialog-head">
            <h3 id="record-h">{kind === "driver" ? "派遣紀錄詳細資訊" : `${k.label}借用申請紀錄詳細資訊`}</h3>
            <Link to={closeHref} className="dialog-close" aria-label="關閉" preventScrollReset autoFocus>
              ✕
            </Link>
          </div>
          <dl className="facts">
            <dt>{k.dateLabel}</dt>
            <dd>{range(record.starts_at, record.ends_at)}</dd>
            {kind !== "venue" ? (
              <>
                <dt>公務車</dt>
                <dd>
                  {record.itemName}（{record.plateNo}）
                </dd>
              </>
            ) : null}
            <dt>申請人</dt>
            <dd>{record.applicantName}</dd>
            <dt>申請單位</dt>
            <dd>{record.unitName}</dd>
            <dt>公務電話</dt>
            <dd>{record.applicantPhone || "—"}</dd>
            <dt>申請事由</dt>
            <dd>
              <pre>{record.reason}</pre>
            </dd>
            {kind === "venue" ? (
              <>
                <dt>使用人數</dt>
                <dd>{record.attendees ?? "—"}</dd>
              </>
            ) : (
              <>
                <dt>乘客人數</dt>
                <dd>{record.passengers ?? "—"}</dd>
                <dt>目的地</dt>
                <dd>{record.destination ?? "—"}</dd>
                <dt>司機</dt>
                <dd>{record.driverName ?? "—"}</dd>
              </>
            )}
            <dt>申請時間</dt>
            <dd>{formatDateTime(record.created_at)}</dd>
            <dt>審核狀態</dt>
            <dd>
              {record.status === "cancelled"
                ? `審核通過，${record.applicantName} 於 ${formatDateTime(record.cancelled_at)} 取消`
                : "審核通過"}
            </dd>
            <dt>審核人</dt>
            <dd>{record.decidedByName ?? "—"}</dd>
            <dt>審核時間</dt>
            <dd>{formatDateTime(record.decided_at) || "—"}</dd>
            <dt>審核說明</dt>
            <dd>{record.decision_comment || "—"}</dd>
          </dl>
        </dialog>
      ) : null}
    </section>
  );
}
