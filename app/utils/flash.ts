/** A one-time message shown after a redirect (see flash.server.ts). */
export interface Flash {
  kind: "success" | "error" | "info";
  message: string;
}
