import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";

/** The review link in the custodians' e-mail: the review list, narrowed to that booking. */
export function loader({ params }: LoaderFunctionArgs) {
  const id = params.id ?? "";
  if (!/^\d{1,9}$/.test(id)) throw new Response("找不到資料，或您沒有權限檢視。", { status: 404 });
  return redirect(`/reviews?focus=${id}#booking-${id}`);
}
