/**
 * How a name or an ID number is shown where a person or an operator may see it (the console, the
 * registry list, the capture page after a card is read): never in full. One place, so that every
 * screen hides the same characters.
 */
export function maskName(name: string): string {
  const chars = [...name]
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`
}

/** The first three (region) and last four characters; an implausibly short number is hidden whole. */
export function maskIdNumber(id: string): string {
  return id.length < 8 ? '*'.repeat(id.length) : `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`
}
