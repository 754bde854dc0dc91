/** ACC-14/15 agency and mail-system accounts (issue 6). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SharedAccountTables {}
