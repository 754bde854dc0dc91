import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A WebAuthn authenticator in software, for integration tests (ADR 0034): it answers the
 * portal's options the way a phone or security key would (attestation "none", ES256), so the
 * service's refusals can be tried with answers made in the test. Chromium's virtual
 * authenticator (tests/e2e/passkeys.test.ts) covers the browser's side.
 */
const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest();
const b64 = (data: Uint8Array) => Buffer.from(data).toString("base64url");
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

export function softAuthenticator(rp: { id: string; origin: string }) {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  const credentialId = randomBytes(16);
  const id = b64(credentialId);
  let counter = 0;
  let userHandle: string | undefined;

  const cose = new Map<number, number | Uint8Array>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, isoBase64URL.toBuffer(jwk.x!)],
    [-3, isoBase64URL.toBuffer(jwk.y!)],
  ]);

  function authData(flags: number, count: number, attested: boolean): Buffer {
    const head = Buffer.alloc(37);
    sha256(rp.id).copy(head, 0);
    head.writeUInt8(flags | (attested ? AT : 0), 32);
    head.writeUInt32BE(count, 33);
    if (!attested) return head;
    const len = Buffer.alloc(2);
    len.writeUInt16BE(credentialId.length);
    return Buffer.concat([head, Buffer.alloc(16), len, credentialId, Buffer.from(isoCBOR.encode(cose))]);
  }

  const clientData = (type: string, challenge: string, origin = rp.origin) =>
    Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  return {
    id,
    /** Answers registration options (the user handle it is given is kept, as a passkey keeps it). */
    register(options: { challenge: string; user: { id: string } }): RegistrationResponseJSON {
      userHandle = options.user.id;
      const attestationObject = isoCBOR.encode(
        new Map<string, unknown>([
          ["fmt", "none"],
          ["attStmt", new Map()],
          ["authData", authData(UP | UV, counter, true)],
        ]) as never,
      );
      return {
        id,
        rawId: id,
        type: "public-key",
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64(clientData("webauthn.create", options.challenge)),
          attestationObject: b64(attestationObject),
          transports: ["internal"],
        },
      };
    },
    /** Signs a sign-in challenge. `counter` replays an old count; `userHandle` claims someone else. */
    authenticate(
      challenge: string,
      o: { userVerified?: boolean; counter?: number; userHandle?: string; origin?: string } = {},
    ): AuthenticationResponseJSON {
      counter = o.counter ?? counter + 1;
      const data = authData(UP | (o.userVerified === false ? 0 : UV), counter, false);
      const client = clientData("webauthn.get", challenge, o.origin);
      const signature = sign("sha256", Buffer.concat([data, sha256(client)]), privateKey);
      return {
        id,
        rawId: id,
        type: "public-key",
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64(client),
          authenticatorData: b64(data),
          signature: b64(signature),
          userHandle: o.userHandle ?? userHandle,
        },
      };
    },
  };
}
