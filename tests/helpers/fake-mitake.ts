import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for Mitake's SmSend (三竹簡訊): nothing real can run here, so this checks
 * each request the way the gateway would (POST, CharsetURL=UTF-8, form body decoded as UTF-8,
 * credentials, a number, a body, a clientid) and answers in Mitake's `key=value` lines.
 * `failNext` makes it answer the next requests with a failure status (or an HTTP error).
 */
export interface FakeMitakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  params: Record<string, string>;
}

export interface FakeMitake {
  url: string;
  requests: FakeMitakeRequest[];
  /** Problems found in requests (a test expects none). */
  problems: string[];
  failNext(status: string | { http: number }, times?: number): void;
  close(): Promise<void>;
}

export async function startFakeMitake(opts: { username: string; password: string }): Promise<FakeMitake> {
  const requests: FakeMitakeRequest[] = [];
  const problems: string[] = [];
  const seenClientIds = new Map<string, string>();
  let failures: (string | { http: number })[] = [];
  let msgSeq = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const raw = Buffer.concat(chunks);
      const text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
      const params = Object.fromEntries(new URLSearchParams(text));
      const entry: FakeMitakeRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers["content-type"] ?? "",
        params,
      };
      requests.push(entry);
      const problem = check(entry);
      if (problem) problems.push(problem);

      const failure = failures.shift();
      if (failure && typeof failure === "object") {
        res.writeHead(failure.http).end("error");
        return;
      }
      const status = problem ? (problem.startsWith("credentials") ? "e" : "y") : (failure ?? "1");
      const previous = params.clientid ? seenClientIds.get(params.clientid) : undefined;
      const lines = ["[1]"];
      if (previous && !failure) {
        lines.push(previous, "Duplicate=Y");
      } else {
        const msgid = `#${String(++msgSeq).padStart(9, "0")}`;
        const answer = `msgid=${msgid}\r\nstatuscode=${status}\r\nAccountPoint=${1000 - msgSeq}`;
        if (status === "1" && params.clientid) seenClientIds.set(params.clientid, answer);
        lines.push(answer);
      }
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(`${lines.join("\r\n")}\r\n`);
    });
  });

  function check(r: FakeMitakeRequest): string | undefined {
    if (r.method !== "POST") return `method ${r.method}`;
    if (r.path !== "/api/mtk/SmSend") return `path ${r.path}`;
    if (r.query.CharsetURL !== "UTF-8") return `CharsetURL=${r.query.CharsetURL}`;
    if (!r.contentType.startsWith("application/x-www-form-urlencoded")) return `content-type ${r.contentType}`;
    if (r.params.username !== opts.username || r.params.password !== opts.password) return "credentials wrong";
    if (!/^09\d{8}$/.test(r.params.dstaddr ?? "")) return `dstaddr ${r.params.dstaddr}`;
    if (!r.params.smbody) return "smbody empty";
    if (/[\r\n]/.test(r.params.smbody)) return "smbody has a raw line break";
    if (!r.params.clientid || r.params.clientid.length > 36) return `clientid ${r.params.clientid}`;
    return undefined;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/mtk/SmSend`,
    requests,
    problems,
    failNext(status, times = 1) {
      failures = [...failures, ...Array.from({ length: times }, () => status)];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
