export {
  parseAuthorization,
  verifyTc3,
  tc3Signature,
  type Tc3Request,
  type ParsedAuthorization,
  type Tc3Failure,
} from './tc3.js'
export { ticketSign, ticketSignMatches } from './sha1-sign.js'
export {
  TicketService,
  ACCESS_TOKEN_TTL_S,
  SIGN_TICKET_TTL_S,
  NONCE_TICKET_TTL_S,
  NONCE_INTERVAL_MS,
} from './tickets.js'
