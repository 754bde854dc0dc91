/** ACC-10/11/12 change logs (issue 6). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AccountConsoleTables {}
