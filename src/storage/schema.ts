/**
 * Row types, identical on SQLite and PostgreSQL. Times are ISO-8601 UTC text, booleans are 0/1
 * integers and JSON is text, so that both drivers return the same thing (no int8-as-string, no
 * driver-specific date objects); repositories convert at the edge.
 */
export interface AppTable {
  app_id: string
  name: string
  secret_sealed: string
  /** bumps on every secret rotation; tokens issued under an older version die with it */
  secret_version: number
  services: string
  valid_until: string | null
  daily_limit_per_person: number
  concurrency_limit: number
  enabled: number
  created_at: string
  updated_at: string
  /** days media and personal data are kept (0–365); null: the server default */
  retention_days: number | null
}

/** an app (and its rule) shiren made and finds again by a name of its own, e.g. 'demo' */
export interface WellKnownAppTable {
  name: string
  app_id: string
  rule_id: string
  created_at: string
}

export interface RuleTable {
  rule_id: string
  app_id: string
  name: string
  liveness: string
  compare_source: string
  threshold: number
  max_attempts: number
  token_ttl_s: number
  action_count: number
  idcard_step: string
  duplicate_action: string | null
  enabled: number
  /** the current version (rule_versions); the columns above mirror its settings */
  version: number
  created_at: string
  updated_at: string
}

/** One immutable version of a rule (append-only: triggers refuse UPDATE and DELETE). */
export interface RuleVersionTable {
  rule_id: string
  version: number
  /** the settings as JSON (src/apps/rule-settings.ts) */
  settings: string
  created_by: string
  created_at: string
}

/** The audit log of operator actions (append-only: triggers refuse UPDATE and DELETE); no personal data. */
export interface AuditLogTable {
  id: string
  at: string
  actor: string
  source: string | null
  action: string
  subject: string | null
  /** JSON object */
  details: string
}

export interface VerificationTable {
  id: string
  app_id: string
  rule_id: string
  /** the rule version the verification was created under (its settings judge it) */
  rule_version: number
  family: string
  token: string
  order_no: string | null
  request_key: string | null
  user_id: string | null
  name_sealed: string | null
  id_number_sealed: string | null
  id_hash: string | null
  reference_blob: string | null
  reference_origin: string | null
  identity_origin: string | null
  redirect_url: string | null
  extra: string | null
  state: string
  attempts_used: number
  max_attempts: number
  challenge: string | null
  challenge_expires_at: string | null
  /** when the live challenge was issued (migration 0011; null before it) */
  challenge_issued_at: string | null
  final_reason: string | null
  final_code: number | null
  final_billable: number | null
  similarity: number | null
  best_frame_blob: string | null
  video_blob: string | null
  created_at: string
  expires_at: string
  finished_at: string | null
  purge_after: string
}

export interface AttemptTable {
  id: string
  verification_id: string
  seq: number
  state: string
  media_blob: string | null
  media_kind: string | null
  media_hash: string | null
  reason: string | null
  code: number | null
  billable: number | null
  similarity: number | null
  signals: string | null
  best_frame_blob: string | null
  created_at: string
  finished_at: string | null
}

/** One side of an ID card read for a verification. Fields and images are sealed: they are personal data. */
export interface IdCardSideTable {
  verification_id: string
  side: string
  image_blob: string | null
  portrait_blob: string | null
  /** sealed JSON of the fields read (IdCardFront or IdCardBack) */
  fields_sealed: string | null
  reason: string
  read_at: string
}

export interface JobTable {
  id: string
  kind: string
  /** fixed per subject (e.g. `analyse:att_…`) so the same work is never queued twice */
  job_key: string
  payload: string
  state: string
  tries: number
  run_after: string
  locked_until: string | null
  last_error: string | null
  created_at: string
  updated_at: string
  /** the worker running it (null unless running) */
  worker_id: string | null
  /** when that worker last said it is alive */
  heartbeat_at: string | null
}

export interface LedgerTable {
  id: string
  attempt_id: string
  verification_id: string
  app_id: string
  rule_id: string
  family: string
  code: number
  reason: string
  billable: number
  day: string
  created_at: string
}

export interface RegistryPersonTable {
  id: string
  id_hash: string
  id_number_sealed: string
  name_sealed: string
  name_hash: string
  photo_blob: string | null
  created_at: string
  updated_at: string
}

export interface RegistryFaceTable {
  person_id: string
  /** the vault-sealed Float32 embedding (base64 inside); null for a deleted person (a tombstone) */
  embedding_sealed: string | null
  model: string | null
  revision: number | string
}

export interface RegistryStateTable {
  id: number
  revision: number | string
  /** bumps at every erasure (its face row is deleted, no tombstone is left) */
  erasures: number | string
}

export interface TicketTable {
  /** sha256 of the token value: access tokens are only ever looked up, never re-read */
  value_hash: string
  /** SIGN and NONCE values are needed to recompute signatures, so they are kept sealed */
  value_sealed: string | null
  kind: string
  app_id: string
  user_id: string | null
  parent_hash: string | null
  secret_version: number
  expires_at: string
  used_at: string | null
  created_at: string
}

export interface GuardTable {
  scope: string
  key: string
  expires_at: string
}

export interface ConsoleSessionTable {
  id_hash: string
  password_fp: string
  created_at: string
  idle_until: string
}

export interface WebhookTable {
  app_id: string
  url: string
  secret_sealed: string
  previous_secret_sealed: string | null
  previous_until: string | null
  enabled: number
  created_at: string
  updated_at: string
}

export interface WebhookEventTable {
  id: string
  app_id: string
  verification_id: string
  type: string
  idempotency_key: string
  body: string
  state: string
  created_at: string
  updated_at: string
}

export interface WebhookDeliveryTable {
  id: string
  event_id: string
  verification_id: string
  at: string
  trigger: string
  status_code: number | null
  error: string | null
  duration_ms: number
}

export interface Database {
  apps: AppTable
  well_known_apps: WellKnownAppTable
  rules: RuleTable
  rule_versions: RuleVersionTable
  audit_log: AuditLogTable
  verifications: VerificationTable
  attempts: AttemptTable
  idcard_sides: IdCardSideTable
  jobs: JobTable
  ledger: LedgerTable
  registry_persons: RegistryPersonTable
  registry_faces: RegistryFaceTable
  registry_state: RegistryStateTable
  tickets: TicketTable
  guards: GuardTable
  console_sessions: ConsoleSessionTable
  webhooks: WebhookTable
  webhook_events: WebhookEventTable
  webhook_deliveries: WebhookDeliveryTable
}
