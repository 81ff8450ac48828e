/**
 * audit: the append-only log of operator actions (rule changes, secret rotations, erasures, console
 * logins …), without personal data. Services get the one `AuditLog` from compose.ts and call
 * `record({ actor, source, action, subject, details }, tx?)`.
 */
export {
  AuditLog,
  AUDIT_ACTORS,
  scrubDetails,
  type AuditActor,
  type AuditBy,
  type AuditEntry,
  type AuditRecord,
} from './audit-log.js'
export type { AuditQuery } from '../storage/index.js'
