import { randomBytes, randomInt } from "node:crypto";
import tls from "node:tls";
import {
  Attribute,
  Change,
  Client,
  ConstraintViolationError,
  EqualityFilter,
  InsufficientAccessError,
  InvalidCredentialsError,
  ResultCodeError,
  UnwillingToPerformError,
  type Entry,
} from "ldapts";
import {
  DirectoryError,
  MANAGED_ATTRIBUTE,
  MANAGED_MARK,
  type DirectoryPort,
  type DirectoryUser,
  type FoundUser,
  type SyncOutcome,
} from "./port.js";
import { normalizeDN, type DirectorySettings } from "./settings.js";

/** The attributes the portal writes (besides the marker, the password and userAccountControl). */
const WRITTEN = {
  userPrincipalName: (u: DirectoryUser) => u.userPrincipalName,
  displayName: (u: DirectoryUser) => u.displayName,
  sn: (u: DirectoryUser) => u.surname || null,
  givenName: (u: DirectoryUser) => u.givenName || null,
  mail: (u: DirectoryUser) => u.mail,
  title: (u: DirectoryUser) => u.title,
  department: (u: DirectoryUser) => u.department,
  telephoneNumber: (u: DirectoryUser) => u.telephoneNumber,
} as const;
type WrittenAttribute = keyof typeof WRITTEN;
const READ = ["cn", "sAMAccountName", "userAccountControl", MANAGED_ATTRIBUTE, ...Object.keys(WRITTEN)];

const UAC_DISABLED = 2;
const UAC_NORMAL = 512;
/** AD's "password does not meet the policy" extended error. */
const POLICY_CODE = "0000052D";
export const PASSWORD_POLICY_MESSAGE = "密碼不符合 AD 密碼原則";

/**
 * The Directory port over LDAPS with ldapts. One bound connection is kept and re-opened
 * (and re-bound) after it drops; each new Client gets a fresh tlsOptions object because
 * ldapts adds its socket to the one it is given.
 */
export function ldapDirectory(settings: DirectorySettings): DirectoryPort {
  const managedOUs = [...new Set(Object.values(settings.ouMap))];
  const managedSuffixes = managedOUs.map((ou) => `,${normalizeDN(ou)}`);
  let client: Client | undefined;
  let connecting: Promise<Client> | undefined;

  const newClient = () =>
    new Client({
      url: settings.url,
      timeout: settings.timeoutMs,
      connectTimeout: settings.timeoutMs,
      tlsOptions: {
        ca: settings.ca ? [settings.ca] : undefined,
        servername: /^[\d.:]+$/.test(settings.tlsName) ? undefined : settings.tlsName,
        minVersion: "TLSv1.2",
        // The DC is reached by address or alias; its certificate names the DC itself.
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(settings.tlsName, cert),
      },
    });

  async function connected(): Promise<Client> {
    if (client?.isConnected) return client;
    connecting ??= (async () => {
      const c = newClient();
      try {
        await c.bind(settings.bindDN, settings.bindPassword);
      } catch (err) {
        await c.unbind().catch(() => undefined);
        throw err;
      }
      client = c;
      return c;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  /** Runs one step; a connection-level failure drops the client so the next call reconnects. */
  async function step<T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> {
    try {
      return await fn(await connected());
    } catch (err) {
      const mapped = mapLdapError(err, what);
      if (mapped.category === "unreachable" && client) {
        const c = client;
        client = undefined;
        await c.unbind().catch(() => undefined);
      }
      throw mapped;
    }
  }

  const isManaged = (dn: string, mark: unknown) =>
    mark === MANAGED_MARK && managedSuffixes.some((s) => normalizeDN(dn).endsWith(s));

  function toFound(e: Entry): FoundUser {
    const uac = Number(first(e.userAccountControl) ?? UAC_NORMAL);
    const dn = e.dn;
    return {
      dn,
      managed: isManaged(dn, first(e[MANAGED_ATTRIBUTE])),
      username: String(first(e.sAMAccountName) ?? ""),
      userPrincipalName: String(first(e.userPrincipalName) ?? ""),
      displayName: String(first(e.displayName) ?? ""),
      surname: String(first(e.sn) ?? ""),
      givenName: String(first(e.givenName) ?? ""),
      mail: str(first(e.mail)),
      title: str(first(e.title)),
      department: str(first(e.department)),
      telephoneNumber: str(first(e.telephoneNumber)),
      enabled: (uac & UAC_DISABLED) === 0,
      ou: parentOf(dn),
    };
  }

  async function findEntry(c: Client, username: string): Promise<Entry | undefined> {
    const filter = `(&(objectClass=user)${new EqualityFilter({ attribute: "sAMAccountName", value: username }).toString()})`;
    const { searchEntries } = await c.search(settings.baseDN, { scope: "sub", filter, attributes: READ });
    return searchEntries[0];
  }

  async function findManaged(c: Client, username: string): Promise<FoundUser> {
    const entry = await findEntry(c, username);
    if (!entry) throw new DirectoryError("refused", `AD 找不到帳號 ${username}`);
    const found = toFound(entry);
    if (!found.managed) throw unmanaged(username);
    return found;
  }

  async function create(c: Client, user: DirectoryUser): Promise<SyncOutcome> {
    const dn = userDN(user.username, user.ou);
    const values: Record<string, string[]> = {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      cn: [user.username],
      sAMAccountName: [user.username],
      [MANAGED_ATTRIBUTE]: [MANAGED_MARK],
      userAccountControl: [String(user.enabled ? UAC_NORMAL : UAC_NORMAL | UAC_DISABLED)],
    };
    for (const [name, value] of Object.entries(WRITTEN)) {
      const v = value(user);
      if (v) values[name] = [v];
    }
    const attributes = Object.entries(values).map(([type, vals]) => new Attribute({ type, values: vals }));
    // AD will not enable an account without a password: a random one nobody knows until
    // the portal's own password arrives through its password job.
    attributes.push(new Attribute({ type: "unicodePwd", values: [quotedUtf16(placeholderPassword())] }));
    await c.add(dn, attributes);
    return { action: "created", dn, moved: false };
  }

  async function update(c: Client, found: FoundUser, user: DirectoryUser, adopt: boolean): Promise<SyncOutcome> {
    const changes: Change[] = [];
    for (const [name, value] of Object.entries(WRITTEN) as [WrittenAttribute, (u: DirectoryUser) => string | null][]) {
      const want = value(user) ?? "";
      const have = (value(found) ?? "").toString();
      if (want !== have) changes.push(replace(name, want === "" ? [] : [want]));
    }
    if (adopt && !found.managed) changes.push(replace(MANAGED_ATTRIBUTE, [MANAGED_MARK]));
    let dn = found.dn;
    if (changes.length > 0) await c.modify(dn, changes);
    if (found.enabled !== user.enabled) await writeEnabled(c, dn, user.enabled);
    const target = userDN(user.username, user.ou);
    const moved = normalizeDN(dn) !== normalizeDN(target);
    if (moved) {
      await c.modifyDN(dn, target);
      dn = target;
    }
    const touched = changes.length > 0 || found.enabled !== user.enabled || moved;
    return { action: touched ? "updated" : "unchanged", dn, moved };
  }

  async function writeEnabled(c: Client, dn: string, enabled: boolean): Promise<void> {
    const { searchEntries } = await c.search(dn, { scope: "base", attributes: ["userAccountControl"] });
    const current = Number(first(searchEntries[0]?.userAccountControl) ?? UAC_NORMAL);
    // Keep the other flags an existing (linked) account may carry; only ACCOUNTDISABLE changes.
    const next = enabled ? current & ~UAC_DISABLED : current | UAC_DISABLED;
    if (next !== current) await c.modify(dn, [replace("userAccountControl", [String(next)])]);
  }

  return {
    configured: true,
    async findUser(username) {
      const entry = await step("查詢", (c) => findEntry(c, username));
      return entry ? toFound(entry) : undefined;
    },
    async createOrUpdate(user, opts = {}) {
      if (!managedSuffixes.some((s) => `,${normalizeDN(user.ou)}`.endsWith(s))) {
        throw new DirectoryError("mapping", `OU ${user.ou} 不在 AD_OU_MAP 的管理範圍`);
      }
      return step("寫入", async (c) => {
        const entry = await findEntry(c, user.username);
        if (!entry) return create(c, user);
        const found = toFound(entry);
        // ldapts gives [] for a requested attribute the object lacks: adopt only an unmarked object.
        if (!found.managed && !(opts.adopt && first(entry[MANAGED_ATTRIBUTE]) === undefined)) {
          throw unmanaged(user.username);
        }
        return update(c, found, user, Boolean(opts.adopt));
      });
    },
    async setPassword(username, password) {
      await step("設定密碼", async (c) => {
        const found = await findManaged(c, username);
        try {
          await c.modify(found.dn, [replace("unicodePwd", [quotedUtf16(password)])]);
        } catch (err) {
          throw scrub(err, password);
        }
      });
    },
    async setEnabled(username, enabled) {
      await step(enabled ? "啟用" : "停用", async (c) => writeEnabled(c, (await findManaged(c, username)).dn, enabled));
    },
    async move(username, ou) {
      return step("搬移", async (c) => {
        const found = await findManaged(c, username);
        const target = userDN(username, ou);
        if (normalizeDN(found.dn) !== normalizeDN(target)) await c.modifyDN(found.dn, target);
        return target;
      });
    },
    async listManaged() {
      return step("列出", async (c) => {
        const users: FoundUser[] = [];
        for (const ou of managedOUs) {
          const filter = `(&(objectClass=user)(${MANAGED_ATTRIBUTE}=${MANAGED_MARK}))`;
          const { searchEntries } = await c.search(ou, {
            scope: "sub",
            filter,
            attributes: READ,
            paged: { pageSize: 500 },
          });
          users.push(...searchEntries.map(toFound).filter((u) => u.managed));
        }
        return users;
      });
    },
    async listUsers() {
      return step("列出", async (c) => {
        const filter = "(&(objectCategory=person)(objectClass=user)(!(isCriticalSystemObject=TRUE)))";
        const { searchEntries } = await c.search(settings.baseDN, {
          scope: "sub",
          filter,
          attributes: READ,
          paged: { pageSize: 500 },
        });
        return searchEntries.map(toFound);
      });
    },
    async close() {
      const c = client;
      client = undefined;
      await c?.unbind().catch(() => undefined);
    },
  };
}

const replace = (type: string, values: string[] | Buffer[]) =>
  new Change({ operation: "replace", modification: new Attribute({ type, values }) });

/** AD's unicodePwd: the password in double quotes, UTF-16LE. */
const quotedUtf16 = (password: string) => Buffer.from(`"${password}"`, "utf16le");

/** 24 random characters with every character class, so any AD complexity policy accepts it. */
function placeholderPassword(): string {
  const pools = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%+-=?@_"];
  const chars = pools.map((p) => p[randomInt(p.length)]!);
  const all = pools.join("");
  for (const b of randomBytes(20)) chars.push(all[b % all.length]!);
  return chars.join("");
}

/** RFC 4514 escaping for the CN value. */
function escapeRdn(value: string): string {
  return value
    .replace(/[,+"\\<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ");
}

const userDN = (username: string, ou: string) => `CN=${escapeRdn(username)},${ou}`;

function parentOf(dn: string): string {
  const at = dn.search(/[^\\],/);
  return at < 0 ? "" : dn.slice(at + 2);
}

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}
const str = (v: unknown) => (v === undefined || v === null || v === "" ? null : String(v));

const unmanaged = (username: string) =>
  new DirectoryError("unmanaged", `AD 已有帳號 ${username}，但不是入口網管理的物件，入口網不會變更它`);

/** An LDAP error whose text somehow repeated the password must not carry it further. */
function scrub(err: unknown, password: string): unknown {
  if (err instanceof Error && password && err.message.includes(password)) {
    err.message = err.message.split(password).join("***");
  }
  return err;
}

/** ldapts / socket errors → the port's categories, with a zh-TW message and AD's own text. */
export function mapLdapError(err: unknown, what: string): DirectoryError {
  if (err instanceof DirectoryError) return err;
  const text = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err);
  if (err instanceof ResultCodeError) {
    if (
      text.toUpperCase().includes(POLICY_CODE) &&
      (err instanceof ConstraintViolationError || err instanceof UnwillingToPerformError)
    ) {
      return new DirectoryError("password-policy", PASSWORD_POLICY_MESSAGE, text);
    }
    if (err instanceof InvalidCredentialsError) {
      return new DirectoryError("refused", "AD 拒絕入口網服務帳號的登入（AD_BIND_DN / AD_BIND_PASSWORD）", text);
    }
    if (err instanceof InsufficientAccessError) {
      return new DirectoryError("refused", `入口網服務帳號在 AD 沒有${what}的權限`, text);
    }
    return new DirectoryError("refused", `AD 拒絕${what}（LDAP 代碼 ${err.code}）`, text);
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (/CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_VERIFY|TLS/i.test(code) || /certificate/i.test(text)) {
    return new DirectoryError("unreachable", "無法驗證 AD 的憑證（AD_CA_FILE / AD_TLS_NAME）", text);
  }
  return new DirectoryError("unreachable", `無法連線到 AD（${what}）`, text);
}
