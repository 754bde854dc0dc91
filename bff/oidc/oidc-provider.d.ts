// oidc-provider ships no types; the portal uses a small part of it, typed loosely here.
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, any>);
    issuer: string;
    proxy: boolean;
    Grant: any;
    Client: any;
    Session: any;
    Interaction: any;
    AccessToken: any;
    RefreshToken: any;
    ClientCredentials: any;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<any>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      opts?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    on(event: string, listener: (...args: any[]) => void): this;
    use(middleware: (ctx: any, next: () => Promise<void>) => Promise<void>): this;
    createContext(req: IncomingMessage, res: ServerResponse): any;
  }
  export const errors: Record<string, any>;
}
