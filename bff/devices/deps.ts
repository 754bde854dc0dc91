import type { Database } from "../../db/index.js";
import type { Clock } from "../ports/clock.js";

/** What 登入裝置與授權 (ADR 0033) needs: the database, the time, and the SSO sessions to end with ours. */
export interface DevicesDeps {
  db: Database;
  clock: Clock;
  /** A session unused this long is over (the same bound actorFromToken applies). */
  sessionIdleMinutes: number;
  sso: {
    /** Ends the SSO session a portal session recorded (ADR 0023 one sign-out); never throws. */
    endSsoSession(uid: string | null): Promise<void>;
    /** Ends every SSO session of the account with this public id; never throws. */
    endAccountSsoSessions(publicId: string): Promise<void>;
  };
}
