import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormMessage } from "~/components/forms";
import { PhotoInput, repairLinks, TicketFields } from "~/components/repairs";
import { formFailure, formValues } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { readRepairForm, TICKET_FIELDS } from "~/utils/repairs.server";
import { requireActor } from "~/utils/session.server";

export const links = repairLinks;
export const meta: MetaFunction = () => [{ title: "我要報修 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const options = await context.services.repairs.reportOptions(actor);
  const asked = new URL(request.url).searchParams.get("type") ?? "";
  return json({ ...options, typeId: options.types.some((t) => String(t.id) === asked) ? asked : "" });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const { form, photos, error } = await readRepairForm(request);
  const values = formValues(form, TICKET_FIELDS);
  if (error) return json({ ok: false as const, message: error, fields: { photos: error }, values }, { status: 400 });
  try {
    await context.services.repairs.report(actor, values, photos);
  } catch (e) {
    return formFailure(e, values);
  }
  return redirectWithFlash(context, "/repairs", "報修已送出，維修人員處理後會通知您。");
}

export default function NewRepair() {
  const { types, sites, unitName, phone, typeId } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const values = failure?.values ?? { typeId, phone };
  return (
    <div>
      <p className="back-link">
        <Link to="/repairs">‹ 返回報修</Link>
      </p>
      <h1 className="page-title">我要報修</h1>
      {types.length === 0 ? (
        <p className="card empty">目前沒有您可以報修的類型。</p>
      ) : (
        <section className="card">
          <div aria-live="assertive">
            <FormMessage id="report-error" message={failure?.message} />
          </div>
          <Form
            method="post"
            encType="multipart/form-data"
            noValidate
            aria-describedby={failure ? "report-error" : undefined}
          >
            <TicketFields
              types={types}
              sites={sites}
              unitName={unitName}
              values={values}
              errors={failure?.fields ?? {}}
            />
            <PhotoInput error={failure?.fields.photos} />
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? "送出中…" : "送出報修"}
            </button>
          </Form>
        </section>
      )}
    </div>
  );
}
