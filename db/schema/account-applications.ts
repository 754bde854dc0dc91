/** ACC-1/2/3/6/7/8/13 applications and e-mail codes (issue 6). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AccountApplicationTables {}
