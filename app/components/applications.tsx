import { Form, Link } from "@remix-run/react";
import { useState, type ReactNode } from "react";
import { FormMessage, TextField } from "~/components/forms";

/** The card every signed-out account page sits in (the sign-in page's look). */
export function SignedOutCard({ title, children, wide }: { title: string; children: ReactNode; wide?: boolean }) {
  return (
    <main className="login" id="main">
      <div className={`login-card${wide ? " login-card-wide" : ""}`}>
        <div className="brand">
          <img src="/icons/icon-192.png" alt="" width="48" height="48" />
          <div>
            <p className="brand-city">臺南市政府公務入口網</p>
            <h1>{title}</h1>
          </div>
        </div>
        {children}
        <ul className="flow-links">
          <li>
            <Link to="/login">回登入頁</Link>
          </li>
          <li>
            <Link to="/agency-admins">機關管理員查詢</Link>
          </li>
        </ul>
      </div>
    </main>
  );
}

export interface StepData {
  ok?: boolean;
  step?: "code" | "form" | "done";
  message?: string;
  fields?: Record<string, string>;
  values?: Record<string, string>;
  email?: string;
  username?: string;
  proof?: string;
  /** Who reviews what was sent (issue 17): the agency's admins, or the system admins when it has none. */
  reviewer?: "agency_admin" | "sys_admin";
}

/** Who will review, as the applicant reads it after sending. */
export function reviewerText(reviewer: StepData["reviewer"], whose = "所屬機關") {
  return reviewer === "sys_admin"
    ? `${whose}目前沒有機關管理者，申請已轉由系統管理者審核。`
    : `等待${whose}的機關管理者審核。`;
}

/** Step 1: the backup address (and the username, where the account must match). */
export function EmailStep({ data, withUsername, intro }: { data?: StepData; withUsername?: boolean; intro: string }) {
  return (
    <Form method="post" noValidate>
      <p>{intro}</p>
      <FormMessage id="step-error" message={data?.ok === false ? data.message : undefined} />
      <input type="hidden" name="intent" value="send" />
      {withUsername ? (
        <TextField
          label="帳號"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          defaultValue={data?.values?.username}
          error={data?.fields?.username}
          required
        />
      ) : null}
      <TextField
        label="備用信箱"
        name="email"
        type="email"
        inputMode="email"
        autoComplete="email"
        defaultValue={data?.values?.email}
        error={data?.fields?.email}
        required
      />
      <button type="submit" className="btn btn-primary btn-block">
        寄送驗證碼
      </button>
    </Form>
  );
}

/** Step 2: the 6-digit code from the mail. */
export function CodeStep({ data, withUsername }: { data: StepData; withUsername?: boolean }) {
  const email = data.email ?? data.values?.email ?? "";
  return (
    <>
      {data.ok !== false && data.message ? (
        <div className="alert alert-info" role="status">
          {data.message}
        </div>
      ) : data.fields?.code ? null : (
        // A wrong code is said once, under the code field.
        <FormMessage id="code-error" message={data.message} />
      )}
      <Form method="post" noValidate>
        <input type="hidden" name="intent" value="verify" />
        <input type="hidden" name="email" value={email} />
        <p className="field-hint">驗證碼已寄至 {email}</p>
        <TextField
          label="驗證碼"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          error={data.fields?.code}
          required
          autoFocus
        />
        <button type="submit" className="btn btn-primary btn-block">
          驗證
        </button>
      </Form>
      <Form method="post" noValidate>
        <input type="hidden" name="intent" value="send" />
        <input type="hidden" name="email" value={email} />
        {withUsername ? (
          <input type="hidden" name="username" value={data.username ?? data.values?.username ?? ""} />
        ) : null}
        <button type="submit" className="btn btn-ghost btn-block">
          重新寄送驗證碼
        </button>
      </Form>
    </>
  );
}

export interface OrgChoices {
  agencies: { id: number; name: string }[];
  units: { id: number; agencyId: number; label: string }[];
}

/**
 * 機關 → 單位. Before scripts load the unit list holds every agency's units (grouped);
 * afterwards it narrows to the chosen agency. The server checks the pair either way.
 */
export function UnitPicker({
  org,
  agencyId,
  unitId,
  error,
  agencyLabel = "隸屬機關",
  unitLabel = "隸屬單位",
}: {
  org: OrgChoices;
  agencyId?: string;
  unitId?: string;
  error?: string;
  agencyLabel?: string;
  unitLabel?: string;
}) {
  const [agency, setAgency] = useState(agencyId ?? "");
  const [hydrated, setHydrated] = useState(false);
  const groups = org.agencies
    .filter((a) => !hydrated || agency === "" || String(a.id) === agency)
    .map((a) => ({ agency: a, units: org.units.filter((u) => u.agencyId === a.id) }));
  return (
    <>
      <div className="field">
        <label htmlFor="f-agencyId">{agencyLabel}</label>
        <select
          id="f-agencyId"
          name="agencyId"
          value={agency}
          onChange={(e) => {
            setHydrated(true);
            setAgency(e.target.value);
          }}
        >
          <option value="">請選擇機關</option>
          {org.agencies.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </div>
      <div className={`field${error ? " field-invalid" : ""}`}>
        <label htmlFor="f-unitId">{unitLabel}</label>
        <select
          id="f-unitId"
          name="unitId"
          defaultValue={unitId ?? ""}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "f-unitId-error" : undefined}
        >
          <option value="">請選擇單位</option>
          {groups.map((g) => (
            <optgroup key={g.agency.id} label={g.agency.name}>
              {g.units.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.label}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
        {error ? (
          <p className="field-error" id="f-unitId-error">
            {error}
          </p>
        ) : null}
      </div>
    </>
  );
}

/** 公務電話、分機、辦公地址: the same block in an account application and in my own data (ACC-19). */
export function OfficeContactFields({
  values,
  fields,
}: {
  values: Record<string, string | undefined>;
  fields: Record<string, string | undefined>;
}) {
  return (
    <>
      <div className="phone-row">
        <TextField
          label="公務電話"
          name="officePhone"
          type="tel"
          autoComplete="work tel"
          placeholder="06-2991111"
          maxLength={30}
          defaultValue={values.officePhone}
          error={fields.officePhone}
          required
        />
        <TextField
          label="分機"
          name="officeExt"
          inputMode="numeric"
          maxLength={10}
          defaultValue={values.officeExt}
          error={fields.officeExt}
        />
      </div>
      <TextField
        label="辦公地址"
        name="workAddress"
        autoComplete="street-address"
        maxLength={200}
        defaultValue={values.workAddress}
        error={fields.workAddress}
        required
      />
    </>
  );
}

/** Every field of an account application (ACC-1 / ACC-2 / ACC-6). */
export function AccountFields({
  org,
  values,
  fields,
  usernameFixed,
  emailFixed,
}: {
  org: OrgChoices;
  values: Record<string, string>;
  fields: Record<string, string>;
  usernameFixed?: boolean;
  emailFixed?: boolean;
}) {
  return (
    <>
      {usernameFixed ? (
        <div className="field">
          <span className="field-label">帳號</span>
          <p className="field-static">{values.username}</p>
        </div>
      ) : (
        <TextField
          label="帳號"
          name="username"
          hint="1–20 個英文小寫字母、數字或 . _ -，也是公務郵件的名稱"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={20}
          defaultValue={values.username}
          error={fields.username}
          required
        />
      )}
      <TextField
        label="姓名"
        name="name"
        autoComplete="name"
        maxLength={50}
        defaultValue={values.name}
        error={fields.name}
        required
      />
      <TextField label="職稱" name="title" maxLength={50} defaultValue={values.title} error={fields.title} required />
      <UnitPicker org={org} agencyId={values.agencyId} unitId={values.unitId} error={fields.unitId} />
      <OfficeContactFields values={values} fields={fields} />
      <fieldset className="radio-row" aria-describedby={fields.needsOfficialMail ? "f-mail-error" : undefined}>
        <legend>是否需要公務郵件</legend>
        <label>
          <input type="radio" name="needsOfficialMail" value="1" defaultChecked={values.needsOfficialMail === "1"} />
          需要
        </label>
        <label>
          <input type="radio" name="needsOfficialMail" value="0" defaultChecked={values.needsOfficialMail === "0"} />
          不需要
        </label>
        {fields.needsOfficialMail ? (
          <p className="field-error" id="f-mail-error">
            {fields.needsOfficialMail}
          </p>
        ) : null}
      </fieldset>
      {emailFixed ? (
        <div className="field">
          <span className="field-label">備用信箱（已驗證）</span>
          <p className="field-static">{values.backupEmail}</p>
        </div>
      ) : (
        <TextField
          label="備用信箱"
          name="backupEmail"
          type="email"
          autoComplete="email"
          defaultValue={values.backupEmail}
          error={fields.backupEmail}
          required
        />
      )}
    </>
  );
}

/** Password + confirmation under the password policy (ACC-3, forgot password). */
export function NewPasswordFields({ fields }: { fields: Record<string, string> }) {
  return (
    <>
      <TextField
        label="新密碼"
        name="password"
        type="password"
        autoComplete="new-password"
        hint="至少 12 個字元，包含大寫字母、小寫字母、數字、符號其中三種，且不可包含帳號。"
        error={fields.password}
        required
      />
      <TextField
        label="確認新密碼"
        name="confirm"
        type="password"
        autoComplete="new-password"
        error={fields.confirm}
        required
      />
    </>
  );
}
