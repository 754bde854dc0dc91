import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import {
  ChangeLogTable,
  custodyKindLabels,
  DisableReasonFields,
  EffectiveTime,
  type Errors,
  FixLinks,
  loginMethodLabels,
  scheduledTypeLabels,
  useHref,
  type Values,
} from "~/components/accounts-console";
import { ConfirmAction } from "~/components/confirm-dialog";
import { TextField } from "~/components/forms";
import { type FormFailure, formFailure, formValues, load, readForm } from "~/utils/errors.server";
import type { Flash } from "~/utils/flash";
import { redirectWithFlash } from "~/utils/flash.server";
import { consoleLinks, PagedTable, RangeFilter } from "~/components/list-page";
import { formatDateTime } from "~/utils/format";
import {
  label,
  loginActionLabels,
  loginPermissionLabels,
  loginResultLabels,
  roleLabels,
  statusLabels,
} from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const links = consoleLinks;
export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.detail.account.name ?? "帳號"} | 個人公務帳號管理 | 臺南市政府公務入口網` },
];

const tabs = [
  ["data", "帳號資料"],
  ["unit", "隸屬機關(單位)"],
  ["status", "帳號狀態"],
] as const;
type Tab = (typeof tabs)[number][0];
const tabOf = (v: string | null): Tab => (v === "unit" || v === "status" ? v : "data");

/** ACC-12: one page, three tabs chosen by ?tab= (plain links: they work before scripts load). */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  if (actor.role === "user") throw new Response("找不到資料", { status: 404 });
  const accounts = context.services.accounts;
  const sp = new URL(request.url).searchParams;
  const id = params.id;
  const tab = tabOf(sp.get("tab"));
  const detail = await load(() => accounts.detail(actor, id));
  const logFor = (kind: "data" | "unit" | "status") => {
    const p = kind[0];
    return accounts.changeLog(actor, id, kind, {
      from: sp.get(`${p}from`),
      to: sp.get(`${p}to`),
      page: sp.get(`${p}page`),
    });
  };
  const entryFor = (kind: string) =>
    sp.get("log") === kind && sp.get("detail") ? accounts.changeEntry(actor, id, kind, sp.get("detail")) : null;
  const log = await logFor(tab);
  const entry = await entryFor(tab);
  let status = null;
  if (tab === "status") {
    const recordFilter = {
      from: sp.get("lfrom"),
      to: sp.get("lto"),
      method: sp.get("lmethod"),
      action: sp.get("laction"),
      result: sp.get("lresult"),
    };
    const who = sp.get("who");
    const [records, record, people] = await Promise.all([
      accounts.loginRecords(actor, id, { ...recordFilter, page: sp.get("lpage") }),
      sp.get("record") ? accounts.loginRecord(actor, id, sp.get("record")) : null,
      who !== null ? accounts.colleagues(actor, id, who) : null,
    ]);
    status = { records, record, people, who: who ?? "" };
  }
  return json({ tab, detail, log, entry, status, actorIsSysAdmin: actor.role === "sys_admin" });
}

const fieldNames = [
  "intent",
  "name",
  "officePhone",
  "officeExt",
  "workAddress",
  "needsOfficialMail",
  "backupEmail",
  "mobile",
  "citizenCardNo",
  "unitId",
  "title",
  "note",
  "effective",
  "executeAt",
  "role",
  "status",
  "reason",
  "reasonText",
  "custody",
  "toAccountId",
];

/** Each form of the page and the tab it lives on: after it succeeds, the page comes back there. */
const intentTabs: Record<string, Tab> = {
  data: "data",
  "reset-password": "data",
  "totp-reset": "data",
  unit: "unit",
  role: "status",
  status: "status",
  unlock: "status",
  lock: "status",
  transfer: "status",
  "end-sessions": "status",
};

const scheduledOr = (at: Date | null, what: string, done: string) =>
  at ? `已預約於 ${formatDateTime(at)} ${what}` : done;

type Actor = Awaited<ReturnType<typeof requireActor>>;

/** Carries out one form; its answer is the message the page shows after the redirect. */
async function perform(context: AppLoadContext, actor: Actor, id: string | undefined, v: Values): Promise<Flash> {
  const accounts = context.services.accounts;
  const ok = (message: string): Flash => ({ kind: "success", message });
  switch (v.intent) {
    case "data": {
      const r = await accounts.updateData(actor, id, v);
      return r.changed === 0 ? { kind: "info", message: "資料沒有變更" } : ok("編輯成功");
    }
    case "reset-password": {
      // The temporary password goes to the owner's mailbox; the admin sees only where it went.
      const r = await accounts.resetPassword(actor, id);
      return ok(`已重設密碼，臨時密碼已寄至備用信箱 ${r.sentTo}；使用者登入後須立即變更密碼。`);
    }
    case "unit":
      return ok(scheduledOr((await accounts.changeUnit(actor, id, v)).scheduledAt, "異動單位", "單位異動成功"));
    case "role":
      return ok(scheduledOr((await accounts.changeRole(actor, id, v)).scheduledAt, "異動權限", "權限異動成功"));
    case "status":
      return ok(scheduledOr((await accounts.setStatus(actor, id, v)).scheduledAt, "異動帳號狀態", "帳號狀態異動成功"));
    case "unlock":
      await accounts.unlock(actor, id);
      return ok("已解鎖");
    case "lock":
      await accounts.lock(actor, id);
      return ok("已鎖定，此帳號已登出");
    case "transfer":
      await accounts.transferCustody(actor, id, v);
      return ok("保管人已移轉");
    case "end-sessions": {
      // ADR 0033: every device and its single sign-on session; scoped and audited in the BFF.
      const r = await context.services.devices.endAccountSessions(actor, id);
      return ok(r.count > 0 ? `已結束此帳號在 ${r.count} 個裝置的登入` : "此帳號目前沒有登入中的裝置");
    }
    case "totp-reset":
    default: // the last intent intentTabs admits
      // IDN-2: lost or replaced phone. Scoped and audited in the BFF.
      await context.services.auth.totp.reset(actor, /^\d{1,9}$/.test(id ?? "") ? Number(id) : -1);
      return ok("已重設 OTP 驗證；使用者可用密碼登入後重新設定。");
  }
}

/** A success redirects back to the form's tab with a flash; a refusal keeps what was typed. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const v = formValues(await readForm(request), fieldNames);
  const tab = intentTabs[v.intent ?? ""];
  if (!tab) {
    const failure: FormFailure = { ok: false, message: "不支援的操作。", fields: {}, values: v };
    return json(failure, { status: 400 });
  }
  try {
    const flash = await perform(context, actor, params.id, v);
    const page = `/admin/accounts/${encodeURIComponent(params.id ?? "")}`;
    return redirectWithFlash(context, tab === "data" ? page : `${page}?tab=${tab}`, flash);
  } catch (e) {
    return formFailure(e, v);
  }
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

export default function AccountDetail() {
  const data = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>() ?? null;
  const { account } = data.detail;
  const mine = (intent: string) => (failed && failed.values.intent === intent ? failed : null);
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/admin/accounts">個人公務帳號管理</Link> › <span aria-current="page">{account.name}</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">
          {account.name}（{account.username}）
        </h1>
      </div>
      {failed ? (
        <div className="alert alert-error" role="alert">
          {failed.message}
          <FixLinks fields={failed.fields} />
        </div>
      ) : null}
      <nav className="tabs" aria-label="帳號管理分頁">
        {tabs.map(([key, text]) => (
          <Link
            key={key}
            to={`?tab=${key}`}
            className={`tab${data.tab === key ? " tab-current" : ""}`}
            aria-current={data.tab === key ? "page" : undefined}
          >
            {text}
          </Link>
        ))}
      </nav>
      {data.tab === "data" ? <DataTab data={data} failed={mine("data")} /> : null}
      {data.tab === "unit" ? <UnitTab data={data} failed={mine("unit")} /> : null}
      {data.tab === "status" ? <StatusTab data={data} failedFor={mine} /> : null}
    </div>
  );
}

type Failure = { values: Values; fields: Errors } | null;

function DataTab({ data, failed }: { data: Loaded; failed: Failure }) {
  const a = data.detail.account;
  const q = data.detail.quota;
  const values = failed?.values;
  const errors = failed?.fields ?? {};
  const val = (k: string, current: string | null) => values?.[k] ?? current ?? "";
  return (
    <>
      <section className="card" aria-labelledby="data-h">
        <h2 id="data-h">帳號資料</h2>
        <dl className="facts">
          <dt>帳號</dt>
          <dd>{a.username}</dd>
          <dt>隸屬機關/單位</dt>
          <dd>
            {a.agencyName} / {a.unitName}
          </dd>
          <dt>職稱</dt>
          <dd>{a.title || "—"}</dd>
          <dt>OTP驗證</dt>
          <dd>{a.totp_enabled_at ? `已啟用（${formatDateTime(a.totp_enabled_at)}）` : "未啟用"}</dd>
          <dt>個人手機號碼驗證</dt>
          <dd>{a.mobile_verified_at ? "已驗證" : "未驗證"}</dd>
        </dl>
        <Form method="post" className="item-form" aria-labelledby="data-h">
          <input type="hidden" name="intent" value="data" />
          <TextField
            label="姓名"
            name="name"
            defaultValue={val("name", a.name)}
            error={errors.name}
            maxLength={50}
            required
          />
          <TextField
            label="公務電話"
            name="officePhone"
            defaultValue={val("officePhone", a.office_phone)}
            error={errors.officePhone}
            inputMode="tel"
          />
          <TextField
            label="分機"
            name="officeExt"
            defaultValue={val("officeExt", a.office_ext)}
            error={errors.officeExt}
            inputMode="numeric"
          />
          <TextField
            label="住址(工作地)"
            name="workAddress"
            defaultValue={val("workAddress", a.work_address)}
            error={errors.workAddress}
          />
          <fieldset className="field choice-group">
            <legend>是否需要公務郵件</legend>
            <label className="choice">
              <input
                type="checkbox"
                name="needsOfficialMail"
                defaultChecked={values ? values.needsOfficialMail === "on" : a.needs_official_mail}
              />
              需要使用公務郵件
            </label>
            <p className="field-hint" id="quota">
              {q.agencyName}郵件使用上限：{q.limit === null ? "未設定" : `${q.limit} 個`}；已使用數量：{q.used}{" "}
              個；剩餘數量：
              {q.remaining === null ? "—" : `${q.remaining} 個`}
            </p>
          </fieldset>
          <TextField
            label="備用信箱"
            name="backupEmail"
            type="email"
            defaultValue={val("backupEmail", a.backup_email)}
            error={errors.backupEmail}
          />
          <TextField
            label="個人手機號碼"
            name="mobile"
            defaultValue={val("mobile", a.mobile)}
            error={errors.mobile}
            inputMode="tel"
          />
          <TextField
            label="自然人憑證卡號"
            name="citizenCardNo"
            defaultValue={val("citizenCardNo", a.citizen_card_no)}
            error={errors.citizenCardNo}
          />
          <div className="actions">
            <button type="submit" className="btn btn-primary">
              儲存
            </button>
          </div>
        </Form>
        <div className="actions">
          <ConfirmAction
            name="reset-password"
            label="重設密碼"
            consequence="將產生臨時密碼並寄至備用信箱；目前的密碼立即失效，使用者須以新密碼登入，並於登入後立即變更。"
            fields={{ intent: "reset-password" }}
          />
          <span className="field-hint">產生臨時密碼並寄至備用信箱，使用者登入後須立即變更。</span>
        </div>
        {a.totp_enabled_at ? (
          <div className="actions">
            <ConfirmAction
              name="totp-reset"
              label="重設 OTP 驗證"
              consequence="使用者目前的驗證器立即失效，之後僅以密碼登入，須自行重新設定 OTP 驗證。"
              fields={{ intent: "totp-reset" }}
            />
            <span className="field-hint">使用者手機遺失或更換時使用；重設後以密碼登入，可再自行設定。</span>
          </div>
        ) : null}
      </section>
      <ChangeLogTable
        title="個人資料異動紀錄"
        kind="data"
        tab="data"
        accountId={a.id}
        log={data.log}
        entry={data.entry}
        rangeLabel="異動時間"
      />
    </>
  );
}

/** The 調入單位 options: one agency's plainly; grouped by agency when a system admin sees them all. */
function UnitOptions({ units }: { units: Loaded["detail"]["units"] }) {
  const agencies = [...new Set(units.map((u) => u.agencyId))];
  const options = (list: typeof units) =>
    list.map((u) => (
      <option key={u.id} value={u.id}>
        {u.path}
      </option>
    ));
  if (agencies.length <= 1) return <>{options(units)}</>;
  return (
    <>
      {agencies.map((id) => {
        const list = units.filter((u) => u.agencyId === id);
        return (
          <optgroup key={id} label={list[0]!.agencyName}>
            {options(list)}
          </optgroup>
        );
      })}
    </>
  );
}

function UnitTab({ data, failed }: { data: Loaded; failed: Failure }) {
  const a = data.detail.account;
  const values = failed?.values ?? {};
  const errors = failed?.fields ?? {};
  const here = data.detail.units.find((u) => u.id === a.unit_id);
  const current = here?.isAgency ? here.path : `${a.agencyName} › ${here?.path ?? a.unitName}`;
  return (
    <>
      <section className="card" aria-labelledby="unit-h">
        <h2 id="unit-h">隸屬機關(單位)</h2>
        <Form method="post" className="item-form" aria-labelledby="unit-h">
          <input type="hidden" name="intent" value="unit" />
          <p className="field-static">
            <span className="field-label">目前單位：</span>
            {current}
          </p>
          <div className={`field${errors.unitId ? " field-invalid" : ""}`}>
            <label htmlFor="unitId">調入單位（選擇單位）</label>
            <select
              id="unitId"
              name="unitId"
              defaultValue={values.unitId ?? String(a.unit_id)}
              aria-invalid={errors.unitId ? true : undefined}
              aria-describedby={errors.unitId ? "unitId-error" : "unitId-hint"}
            >
              <UnitOptions units={data.detail.units} />
            </select>
            <p className="field-hint" id="unitId-hint">
              {data.actorIsSysAdmin
                ? "調至其他機關時，須先完成交接（機關管理者、保管項目），機關管理者權限不隨同移轉。"
                : "限本機關的單位；調至其他機關請由使用者提出機關異動申請。"}
            </p>
            {errors.unitId ? (
              <p className="field-error" id="unitId-error">
                {errors.unitId}
              </p>
            ) : null}
          </div>
          <TextField
            label="職稱"
            name="title"
            defaultValue={values.title ?? a.title}
            error={errors.title}
            maxLength={50}
            required
          />
          <TextField label="備註" name="note" defaultValue={values.note ?? ""} error={errors.note} maxLength={200} />
          <EffectiveTime values={values} errors={errors} idPrefix="unit" />
          <div className="actions">
            <button type="submit" className="btn btn-primary">
              確定異動
            </button>
            <Link to="?tab=unit" className="btn">
              取消
            </Link>
          </div>
        </Form>
      </section>
      <PendingChanges data={data} />
      <ChangeLogTable
        title="隸屬機關(單位)異動紀錄"
        kind="unit"
        tab="unit"
        accountId={a.id}
        log={data.log}
        entry={data.entry}
        rangeLabel="執行時間"
      />
    </>
  );
}

function PendingChanges({ data }: { data: Loaded }) {
  if (data.detail.pending.length === 0) return null;
  return (
    <section className="card" aria-labelledby="pending-h">
      <h2 id="pending-h">預約中的異動</h2>
      <ul className="record-list">
        {data.detail.pending.map((p) => (
          <li key={p.id}>
            <span className="record-time">{formatDateTime(p.execute_at)}</span>
            <span>{scheduledTypeLabels[p.type] ?? p.type}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function StatusTab({ data, failedFor }: { data: Loaded; failedFor: (intent: string) => Failure }) {
  const a = data.detail.account;
  const s = data.status!;
  const href = useHref();
  const [params] = useSearchParams();
  const roleFail = failedFor("role");
  const statusFail = failedFor("status");
  const transferFail = failedFor("transfer");
  const roles = Object.entries(roleLabels).filter(([r]) => r !== "sys_admin" || data.actorIsSysAdmin);
  const recordQuery = new URLSearchParams({
    from: s.records.filter.from,
    to: s.records.filter.to,
    method: s.records.filter.method,
    action: s.records.filter.action,
    result: s.records.filter.result,
  });
  return (
    <>
      <section className="card" aria-labelledby="perm-h">
        <h2 id="perm-h">帳號登入許可狀態</h2>
        <p>
          {label(loginPermissionLabels, a.login_permission)}
          {a.login_permission === "locked" && a.locked_at ? `（${formatDateTime(a.locked_at)} 起）` : ""}
        </p>
        <Form method="post">
          {a.login_permission === "locked" ? (
            <button className="btn btn-primary" name="intent" value="unlock" type="submit">
              解鎖
            </button>
          ) : (
            <button className="btn btn-danger" name="intent" value="lock" type="submit">
              鎖定（立即登出此帳號）
            </button>
          )}
        </Form>
      </section>

      <EndSessionsForm />

      <section className="card" aria-labelledby="role-h">
        <h2 id="role-h">帳號權限異動</h2>
        <Form method="post" className="item-form" aria-labelledby="role-h">
          <input type="hidden" name="intent" value="role" />
          <div className={`field${roleFail?.fields.role ? " field-invalid" : ""}`}>
            <label htmlFor="role">權限（目前：{label(roleLabels, a.role)}）</label>
            <select id="role" name="role" defaultValue={roleFail?.values.role ?? a.role}>
              {roles.map(([r, text]) => (
                <option key={r} value={r}>
                  {text}
                </option>
              ))}
            </select>
            {roleFail?.fields.role ? <p className="field-error">{roleFail.fields.role}</p> : null}
          </div>
          <EffectiveTime values={roleFail?.values ?? {}} errors={roleFail?.fields ?? {}} idPrefix="role" />
          <button type="submit" className="btn btn-primary">
            確定異動
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="custody-h">
        <h2 id="custody-h">保管項目</h2>
        <p className="field-hint">
          保管的機關及郵件系統帳號、場地、公務車、派遣司機與報修類型；停用帳號前須先移轉給同機關的同仁。
        </p>
        {data.detail.custody.length === 0 ? (
          <p className="empty">目前沒有資料</p>
        ) : (
          <>
            <form method="get" className="filters" role="search" aria-label="搜尋同機關同仁">
              <input type="hidden" name="tab" value="status" />
              <label htmlFor="who">搜尋新保管人（同機關同仁）</label>
              <input
                id="who"
                name="who"
                type="search"
                defaultValue={s.who}
                maxLength={30}
                placeholder="姓名、單位或職稱"
              />
              <button type="submit" className="btn btn-small">
                搜尋
              </button>
            </form>
            <Form method="post" className="item-form" aria-labelledby="custody-h">
              <input type="hidden" name="intent" value="transfer" />
              <fieldset className={`field choice-group${transferFail?.fields.custody ? " field-invalid" : ""}`}>
                <legend>要移轉的保管項目</legend>
                {data.detail.custody.map((c) => (
                  <label key={`${c.kind}-${c.id}`} className="choice">
                    {c.kind === "shared_account" ? (
                      <span>
                        {custodyKindLabels[c.kind]}：{c.name}（
                        <Link to={`/admin/shared-accounts/${c.id}`}>於機關及郵件系統帳號頁移轉</Link>）
                      </span>
                    ) : (
                      <>
                        <input type="radio" name="custody" value={`${c.kind}:${c.id}`} />
                        {custodyKindLabels[c.kind]}：{c.name}
                        {c.slot ? `（第 ${c.slot} 位）` : ""}
                      </>
                    )}
                  </label>
                ))}
                {transferFail?.fields.custody ? <p className="field-error">{transferFail.fields.custody}</p> : null}
              </fieldset>
              {s.people ? (
                <fieldset className={`field choice-group${transferFail?.fields.toAccountId ? " field-invalid" : ""}`}>
                  <legend>新保管人</legend>
                  {s.people.length === 0 ? <p className="empty">找不到符合的同仁</p> : null}
                  {s.people.map((p) => (
                    <label key={p.id} className="choice">
                      <input type="radio" name="toAccountId" value={p.id} />
                      {p.name}・{p.unitName}・{p.title || "—"}・{p.officePhone || "—"}
                    </label>
                  ))}
                  {transferFail?.fields.toAccountId ? (
                    <p className="field-error">{transferFail.fields.toAccountId}</p>
                  ) : null}
                </fieldset>
              ) : (
                <p className="field-hint">請先以上方搜尋找出新保管人。</p>
              )}
              <TextField
                label="移轉原因"
                name="reason"
                defaultValue={transferFail?.values.reason ?? ""}
                maxLength={200}
              />
              <button type="submit" className="btn btn-primary" disabled={!s.people || s.people.length === 0}>
                移轉保管人
              </button>
            </Form>
          </>
        )}
      </section>

      <section className="card" aria-labelledby="status-h">
        <h2 id="status-h">帳號狀態異動</h2>
        <p>
          目前：{label(statusLabels, a.status)}
          {a.status_reason ? `（${a.status_reason}）` : ""}
        </p>
        <Form method="post" className="item-form" aria-labelledby="status-h">
          <input type="hidden" name="intent" value="status" />
          <fieldset className={`field choice-group${statusFail?.fields.status ? " field-invalid" : ""}`}>
            <legend>變更為</legend>
            <label className="choice">
              <input
                type="radio"
                name="status"
                value="enabled"
                defaultChecked={statusFail?.values.status === "enabled"}
              />
              啟用
            </label>
            <label className="choice">
              <input
                type="radio"
                name="status"
                value="disabled"
                defaultChecked={statusFail ? statusFail.values.status === "disabled" : a.status === "enabled"}
              />
              停用
            </label>
            {statusFail?.fields.status ? <p className="field-error">{statusFail.fields.status}</p> : null}
          </fieldset>
          <DisableReasonFields values={statusFail?.values ?? {}} errors={statusFail?.fields ?? {}} idPrefix="status" />
          <EffectiveTime values={statusFail?.values ?? {}} errors={statusFail?.fields ?? {}} idPrefix="status" />
          <button type="submit" className="btn btn-danger">
            確定異動
          </button>
        </Form>
      </section>
      <PendingChanges data={data} />

      <ChangeLogTable
        title="帳號狀態異動紀錄"
        kind="status"
        tab="status"
        accountId={a.id}
        log={data.log}
        entry={data.entry}
        rangeLabel="異動時間"
      />

      <section className="card" aria-labelledby="records-h">
        <div className="page-head">
          <h2 id="records-h">帳號登入紀錄</h2>
          <a className="btn btn-small" href={`/admin/accounts/${a.id}/logins.xlsx?${recordQuery.toString()}`} download>
            匯出
          </a>
        </div>
        <RangeFilter label="登入時間" tab="status" prefix="l" from={s.records.filter.from} to={s.records.filter.to}>
          <details
            className="disclosure"
            open={Boolean(s.records.filter.method || s.records.filter.action || s.records.filter.result)}
          >
            <summary className="btn btn-small">進階查詢</summary>
            <FilterSelect label="登入方式" name="lmethod" value={s.records.filter.method} labels={loginMethodLabels} />
            <FilterSelect label="動作" name="laction" value={s.records.filter.action} labels={loginActionLabels} />
            <FilterSelect label="操作結果" name="lresult" value={s.records.filter.result} labels={loginResultLabels} />
          </details>
        </RangeFilter>
        <PagedTable
          caption="帳號登入紀錄"
          list={s.records}
          param="lpage"
          rowKey={(r) => r.id}
          columns={[
            { header: "登入時間", cell: (r) => formatDateTime(r.at) },
            { header: "登入方式", cell: (r) => label(loginMethodLabels, r.method) },
            { header: "動作", cell: (r) => label(loginActionLabels, r.action) },
            { header: "操作結果", cell: (r) => label(loginResultLabels, r.result) },
            {
              header: "動作",
              hiddenHeader: true,
              cell: (r) => (
                <Link
                  to={`${href({})}&record=${r.id}`}
                  preventScrollReset
                  className="btn btn-small"
                  aria-label={`詳細：${formatDateTime(r.at)} 登入紀錄`}
                >
                  詳細
                </Link>
              ),
            },
          ]}
        />
        {s.record && params.get("record") ? (
          <dialog open className="detail-dialog" aria-labelledby="record-h" aria-modal="false">
            <div className="dialog-head">
              <h3 id="record-h">登入紀錄詳細資料</h3>
              <Link to={href({})} className="dialog-close" aria-label="關閉" preventScrollReset autoFocus>
                ✕
              </Link>
            </div>
            <dl className="facts">
              <dt>登入時間</dt>
              <dd>{formatDateTime(s.record.at)}</dd>
              <dt>帳號</dt>
              <dd>{s.record.username}</dd>
              <dt>登入方式</dt>
              <dd>{label(loginMethodLabels, s.record.method)}</dd>
              <dt>動作</dt>
              <dd>{label(loginActionLabels, s.record.action)}</dd>
              <dt>操作結果</dt>
              <dd>{label(loginResultLabels, s.record.result)}</dd>
              <dt>來源 IP</dt>
              <dd>{s.record.ip || "—"}</dd>
              <dt>瀏覽器</dt>
              <dd>{s.record.user_agent || "—"}</dd>
            </dl>
          </dialog>
        ) : null}
      </section>
    </>
  );
}

function FilterSelect(props: { label: string; name: string; value: string; labels: Record<string, string> }) {
  const id = `f-${props.name}`;
  return (
    <span className="field">
      <label htmlFor={id}>{props.label}</label>
      <select id={id} name={props.name} defaultValue={props.value}>
        <option value="">全部</option>
        {Object.entries(props.labels).map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </span>
  );
}

/** Issue 17 item 6: ends every session of the person, on every device, with their SSO sessions. */
function EndSessionsForm() {
  return (
    <section className="card" aria-labelledby="end-sessions-h">
      <h2 id="end-sessions-h">登入中的裝置</h2>
      <p className="muted">結束此帳號在所有裝置的登入，並登出其以此帳號登入的系統；帳號仍可再登入。</p>
      <Form method="post">
        <button className="btn btn-danger" name="intent" value="end-sessions" type="submit">
          結束所有裝置的登入
        </button>
      </Form>
    </section>
  );
}
