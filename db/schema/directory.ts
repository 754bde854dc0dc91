/** IDN-5 Active Directory sync: managed objects, links, sync state (issue 5). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DirectoryTables {}
