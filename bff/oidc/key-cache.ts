import type { JsonWebKey } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../jobs/worker.js";
import type { Clock } from "../ports/clock.js";
import type { PublishedKeys } from "./keys.js";

/** After a failed read (database away), try again this soon rather than on every request. */
const RETRY_MS = 5_000;

interface Built<P> {
  fingerprint: string;
  provider: P;
  callback: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * Keeps a provider built from the signing keys as they were read at most `ttlMs` ago.
 * The keys are re-read lazily, by the first /oidc request after the bound (one read at a
 * time; the requests meanwhile wait for it, so the bound holds exactly); the provider is
 * rebuilt only when the set or its order changed. A failed read keeps the keys read
 * before: a database blip must not stop sign-ins that the old keys still serve.
 */
export function providerFollowingKeys<P extends { callback(): Built<P>["callback"] }>(opts: {
  initial: PublishedKeys;
  load: () => Promise<PublishedKeys>;
  build: (keys: JsonWebKey[]) => P;
  clock: Clock;
  logger: Logger;
  ttlMs: number;
}) {
  const make = (set: PublishedKeys): Built<P> => {
    const provider = opts.build(set.keys);
    return { fingerprint: set.fingerprint, provider, callback: provider.callback() };
  };
  let built = make(opts.initial);
  let readAt = opts.clock.now().getTime();
  let reading: Promise<void> | undefined;

  async function reload(): Promise<void> {
    try {
      const set = await opts.load();
      if (set.fingerprint !== built.fingerprint) {
        built = make(set);
        opts.logger.info("oidc signing keys changed", { kids: set.fingerprint });
      }
      readAt = opts.clock.now().getTime();
    } catch (err) {
      opts.logger.error("oidc signing keys: re-reading failed; the keys read before stay in use", {
        err: String(err),
      });
      readAt = opts.clock.now().getTime() - opts.ttlMs + RETRY_MS;
    }
  }
  function refresh(): Promise<void> {
    reading ??= reload().finally(() => {
      reading = undefined;
    });
    return reading;
  }
  async function fresh(): Promise<Built<P>> {
    if (opts.clock.now().getTime() - readAt >= opts.ttlMs) await refresh();
    return built;
  }

  return {
    current: () => built.provider,
    refresh,
    callback(req: IncomingMessage, res: ServerResponse) {
      // fresh() never rejects: a failed read is logged and the keys read before serve.
      void fresh().then((b) => b.callback(req, res));
    },
  };
}
