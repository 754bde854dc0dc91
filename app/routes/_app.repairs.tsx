import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { ComingSoon } from "~/components/ComingSoon";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "報修 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireActor(request, context);
  return json({});
}

export default function Page() {
  return <ComingSoon title="報修" what="線上報修" />;
}
