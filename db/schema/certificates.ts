/** IDN-4 citizen certificate challenges (issue 5). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CertificateTables {}
