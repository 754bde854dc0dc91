import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useState } from "react";
import { FormMessage } from "~/components/forms";
import { PersonPicker } from "~/components/items";
import { pickedVendors, ReportScopeField, TypeFields, VendorPicker } from "~/components/repairs-console";
import consoleStyles from "~/styles/console.css";
import repairStyles from "~/styles/repairs.css";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: repairStyles },
];
export const meta: MetaFunction = () => [{ title: "新增報修類型 | 臺南市政府公務入口網" }];

const FIELDS = [
  "agencyId",
  "name",
  "reportScope",
  "vendorName",
  "vendorPhone",
  "categories",
  "custodian1",
  "custodian2",
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const repairs = context.services.repairs;
  if (!(await repairs.consoleAccess(actor)).create) throw new Response("找不到資料", { status: 404 });
  const options = await repairs.formOptions(actor);
  const agencyId = (options.managing.find((a) => a.id === actor.agencyId) ?? options.managing[0])?.id ?? 0;
  const people = agencyId ? await repairs.people(actor, { agencyId }) : [];
  return json({ options, agencyId, people });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, FIELDS);
  const listed = form.getAll("listedAgencyIds").filter((v): v is string => typeof v === "string");
  const vendorIds = form.getAll("vendorIds").filter((v): v is string => typeof v === "string");
  const vendorPicked = form.getAll("vendorPicked").filter((v): v is string => typeof v === "string");
  try {
    const { id, name } = await context.services.repairs.create(actor, {
      ...values,
      listedAgencyIds: listed,
      vendorIds,
    });
    return redirectWithFlash(context, `/admin/repair-types/${id}`, `已新增報修類型「${name}」`);
  } catch (e) {
    const picked = vendorPicked.flatMap((v) => {
      try {
        return [JSON.parse(v) as unknown];
      } catch {
        return [];
      }
    });
    return formFailure(e, { ...values, listedAgencyIds: listed.join(","), vendorPicked: JSON.stringify(picked) });
  }
}

export default function NewRepairType() {
  const { options, agencyId: initialAgency, people } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const nav = useNavigation();
  const values = failure?.values ?? { agencyId: String(initialAgency) };
  const errors = failure?.fields ?? {};
  const [agencyId, setAgencyId] = useState(Number(values.agencyId) || initialAgency);
  return (
    <div className="console narrow">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/admin/repair-types">報修類型管理</Link> › <span aria-current="page">新增報修類型</span>
      </nav>
      <h1 className="page-title">新增報修類型</h1>
      <FormMessage id="new-error" message={failure?.message} />
      <Form method="post" noValidate className="card item-form">
        <TypeFields values={values} errors={errors} managing={options.managing} onAgencyChange={setAgencyId} />
        <ReportScopeField
          agencies={options.agencies}
          defaultScope={values.reportScope ?? ""}
          defaultListed={(values.listedAgencyIds ?? "").split(",").map(Number).filter(Boolean)}
          errors={errors}
        />
        <VendorPicker initial={pickedVendors(values.vendorPicked)} error={errors.vendorIds} />
        <fieldset className="field">
          <legend>保管人設定</legend>
          <PersonPicker
            name="custodian1"
            label="保管人 1"
            required
            initial={people}
            defaultValue={values.custodian1}
            error={errors.custodian1}
            source={{ agencyId }}
            endpoint="/repairs/people"
          />
          <PersonPicker
            name="custodian2"
            label="保管人 2"
            initial={people}
            defaultValue={values.custodian2}
            error={errors.custodian2}
            source={{ agencyId }}
            endpoint="/repairs/people"
            allowEmpty="（不設定）"
          />
        </fieldset>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={nav.state !== "idle"}>
            儲存
          </button>
          <Link to="/admin/repair-types" className="btn">
            取消
          </Link>
        </div>
      </Form>
    </div>
  );
}
