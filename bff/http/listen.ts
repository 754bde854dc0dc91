import type { Server } from "node:http";
import type { Express } from "express";

/** Listens on `host:port`; resolves once bound, rejects if the port cannot be had (taken, not allowed). */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once("error", reject);
  });
}
