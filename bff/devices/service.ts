import type { DevicesDeps } from "./deps.js";
import { myConsents, revokeMyConsent } from "./consents.js";
import { endAccountSessions, endMyOtherSessions, endMySession, mySessions } from "./sessions.js";

/** 我的 › 登入裝置與授權 (issue 17 item 6, ADR 0033), and an admin's 結束所有登入. */
export function createDevicesService(deps: DevicesDeps) {
  const bind =
    <A extends unknown[], R>(useCase: (d: DevicesDeps, ...args: A) => R) =>
    (...args: A) =>
      useCase(deps, ...args);
  return {
    mySessions: bind(mySessions),
    endMySession: bind(endMySession),
    endMyOtherSessions: bind(endMyOtherSessions),
    endAccountSessions: bind(endAccountSessions),
    myConsents: bind(myConsents),
    revokeMyConsent: bind(revokeMyConsent),
  };
}

export type DevicesService = ReturnType<typeof createDevicesService>;
