import { DirectoryError, type DirectoryPort } from "./port.js";

export const NOT_CONFIGURED_MESSAGE = "AD 尚未設定（AD_URL）";

/** The port when AD_URL is unset: every call says so, and the sync jobs wait (not a failure). */
export function notConfiguredDirectory(): DirectoryPort {
  const refuse = async (): Promise<never> => {
    throw new DirectoryError("not-configured", NOT_CONFIGURED_MESSAGE);
  };
  return {
    configured: false,
    findUser: refuse,
    createOrUpdate: refuse,
    setPassword: refuse,
    setEnabled: refuse,
    move: refuse,
    listManaged: refuse,
    listUsers: refuse,
    close: async () => undefined,
  };
}
