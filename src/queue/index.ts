export {
  DbJobQueue,
  type JobQueue,
  type JobHandler,
  type JobResult,
  type DbJobQueueOptions,
  type QueueLogger,
} from './db-queue.js'
