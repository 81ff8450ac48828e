export { openDatabase, migrateToLatest, type Db, type Dialect } from './db.js'
export { KyselyStore } from './repositories.js'
export type * from './ports.js'
export { pingDatabase, oldestQueuedJobAt } from './health.js'
