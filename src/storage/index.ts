export { openDatabase, migrateToLatest, type Db, type Dialect, type OpenOptions, type SqliteSync } from './db.js'
export { KyselyStore } from './repositories.js'
export type * from './ports.js'
export { pingDatabase, oldestQueuedJobAt } from './health.js'
