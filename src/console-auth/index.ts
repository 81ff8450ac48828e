export { hashPassword, verifyPassword, setAdminPassword, ensureAdminPassword, checkAdminPassword } from './passwords.js'
