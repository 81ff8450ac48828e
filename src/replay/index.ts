// What-if replay: a rule's stored attempts judged again under changed settings, read-only.
export {
  ReplayService,
  parseReplaySettings,
  REPLAY_KEYS,
  type ReplayRequest,
  type ReplayReport,
  type ReplaySettings,
  type ReplayKey,
  type ReplayStore,
  type ReplayedVerification,
  type ReplayedAttempt,
  type Judgement,
  type Flip,
} from './service.js'
