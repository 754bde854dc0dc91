import * as oidc from "openid-client";

/** A browser by hand against one app server: a cookie jar and manual redirects. */
export class HandBrowser {
  jar = new Map<string, string>();
  constructor(readonly origin: string) {}

  async fetch(url: string, init: RequestInit = {}) {
    const res = await fetch(new URL(url, this.origin), {
      ...init,
      redirect: "manual",
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join("; "),
      },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0\b/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === "") this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  post(url: string, form: Record<string, string>) {
    return this.fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: this.origin },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Follows redirects on this server until one leaves it (the system's callback) or a page answers. */
  async follow(res: Response): Promise<Response | URL> {
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 20; hops++) {
      const to = new URL(res.headers.get("location")!, this.origin);
      if (to.origin !== this.origin) return to;
      res = await this.fetch(to.href);
    }
    return res;
  }
}

/**
 * An ID token from the authorization code flow on one app server, signing in with a
 * password: for a system registered pre-approved (no consent page) with `redirectUri`.
 */
export async function idTokenFrom(
  origin: string,
  client: { clientId: string; clientSecret?: string },
  redirectUri: string,
  account: { username: string; password: string },
): Promise<string> {
  const config = await oidc.discovery(
    new URL(`${origin}/oidc`),
    client.clientId,
    undefined,
    oidc.ClientSecretBasic(client.clientSecret!),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid",
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  const b = new HandBrowser(origin);
  let step = await b.follow(await b.fetch(url.href));
  if (!(step instanceof URL)) {
    step = await b.follow(await b.post(step.url, { intent: "login", ...account }));
  }
  if (!(step instanceof URL)) throw new Error(`the flow stopped at ${step.url} (${step.status})`);
  const tokens = await oidc.authorizationCodeGrant(config, step, { pkceCodeVerifier: verifier, expectedState: state });
  return tokens.id_token!;
}

/** The kid in a JWT's header. */
export const kidOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString()) as { kid: string }).kid;
