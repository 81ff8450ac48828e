export { openDatabase, migrateToLatest, type Db, type Dialect } from './db.js'
export { KyselyStore } from './repositories.js'
export { listenForJobs, type JobWakeups } from './job-wakeups.js'
export type * from './ports.js'
