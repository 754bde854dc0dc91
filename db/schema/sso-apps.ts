/** IDN-6/8 integration applications and the app list (issue 8). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SsoAppTables {}
