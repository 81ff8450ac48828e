import { describe, expect, it } from 'vitest'
import { ticketSign, ticketSignMatches } from './sha1-sign.js'

// Vectors from ../shared/spec/webank-ticket-flow.md section 6.2 (published values)
describe('ticket-flow SHA-1 signature', () => {
  it('5 values with the SIGN ticket (easyface)', () => {
    expect(
      ticketSign([
        'appId001',
        'kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T',
        '1.0.0',
        'aabc1457895464',
        'FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S',
      ]),
    ).toBe('993D057C652D97FD90D5D298F2E5DC4B8D893CBC')
  })
  it('5 values with userId (SDK launch)', () => {
    expect(
      ticketSign([
        'IDAXXXXX',
        'userID19959248596551',
        'kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T',
        '1.0.0',
        'XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS',
      ]),
    ).toBe('D7606F1741DDCF90757DA924EDCF152A200AC7F0')
  })
  it('7 values of geth5faceid', () => {
    expect(
      ticketSign([
        'appId001',
        '19959248596551',
        'testName',
        '4300000000000',
        '19959248596551',
        '1.0.0',
        'duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe',
      ]),
    ).toBe('11670F8BD6181CF71FB4656534253A0627D835CF')
  })
  it('compares case-insensitively and rejects a changed value', () => {
    const values = ['appId001', '1.0.0', 'nonce', 'ticket']
    expect(ticketSignMatches(ticketSign(values).toLowerCase(), values)).toBe(true)
    expect(ticketSignMatches(ticketSign(values), ['appId001', '1.0.0', 'nonce', 'ticketX'])).toBe(false)
  })
})
