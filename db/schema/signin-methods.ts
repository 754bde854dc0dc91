/** IDN-2/3, NTF-3: TOTP used codes, temporary passwords, phone codes (issue 5). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SigninMethodTables {}
