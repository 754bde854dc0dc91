import argon2 from "argon2";

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the time of a real verify, so an unknown username is not told apart by timing. */
  dummyVerify(password: string): Promise<void>;
}

/** argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane) unless configured higher. */
export function argon2Hasher(opts: { memoryKiB: number; iterations: number }): PasswordHasher {
  const params = {
    type: argon2.argon2id as 0 | 1 | 2,
    memoryCost: opts.memoryKiB,
    timeCost: opts.iterations,
    parallelism: 1,
  };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => argon2.hash(password, params),
    verify: async (hash, password) => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
    async dummyVerify(password) {
      dummy ??= argon2.hash("not-a-real-password", params);
      await argon2.verify(await dummy, password).catch(() => false);
    },
  };
}
