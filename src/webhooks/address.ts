import ipaddr from 'ipaddr.js'

/**
 * Which addresses a webhook may connect to. By default only global unicast: private, loopback,
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT (Alibaba's 100.100.100.200),
 * unique-local IPv6 (AWS's fd00:ec2::254), unspecified (0.0.0.0, ::), multicast, reserved and the
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) are refused — unless the
 * operator allows private targets (SHIREN_WEBHOOK_ALLOW_PRIVATE=1) or lists them
 * (SHIREN_WEBHOOK_ALLOW=10.0.0.0/8,fd00::/8). The classification is ipaddr.js's (the table behind
 * proxy-addr); only the policy is ours.
 */
export interface AddressPolicy {
  /** every address is allowed (the operator's explicit choice) */
  allowPrivate: boolean
  /** CIDRs (or single addresses) allowed even though they are not global unicast */
  allow: string[]
}

export type AddressVerdict = { ok: true } | { ok: false; range: string }

type Parsed = ipaddr.IPv4 | ipaddr.IPv6

function parseCidr(c: string): [Parsed, number] {
  if (c.includes('/')) return ipaddr.parseCIDR(c)
  const a = ipaddr.parse(c)
  return [a, a.kind() === 'ipv4' ? 32 : 128]
}

/** Checks each entry of an allow-list; throws on one that is not an address or CIDR. */
export function parseAllowList(raw: string | undefined): string[] {
  if (!raw?.trim()) return []
  const out = raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
  for (const c of out) {
    try {
      parseCidr(c)
    } catch {
      throw new Error(`SHIREN_WEBHOOK_ALLOW: "${c}" is not an address or CIDR`)
    }
  }
  return out
}

export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  if (!ipaddr.isValid(address)) return { ok: false, range: 'invalid' }
  let ip: Parsed = ipaddr.parse(address)
  // ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address it carries
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address()
  if (policy.allowPrivate) return { ok: true }
  for (const c of policy.allow) {
    const [net, bits] = parseCidr(c)
    let cand: Parsed = ip
    if (net.kind() !== cand.kind()) {
      if (net.kind() === 'ipv6' && cand.kind() === 'ipv4') cand = (cand as ipaddr.IPv4).toIPv4MappedAddress()
      else continue
    }
    if (cand.match(net, bits)) return { ok: true }
  }
  const range = ip.range()
  return range === 'unicast' ? { ok: true } : { ok: false, range }
}
