export {
  DbJobQueue,
  defineJob,
  type JobDefinition,
  type JobOptions,
  type JobPayload,
  type JobEnqueuer,
  type JobQueue,
  type JobHandler,
  type JobResult,
  type DbJobQueueOptions,
  type QueueLogger,
} from './db-queue.js'
