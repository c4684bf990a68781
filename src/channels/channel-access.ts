/**
 * PROTOCOL §10, rules 1 and 2: whether the JWT's `channels` claim (exact
 * names, or prefixes ending in `*`) or a public prefix lets a user read
 * `channel`. Rule 3, a subscription token, is ChannelsService's (it needs
 * the verifier).
 */
export function grantedBy(channel: string, claim: readonly string[] | undefined, publicPrefixes: readonly string[]): boolean {
  if (publicPrefixes.some((prefix) => channel.startsWith(prefix))) return true;
  if (!claim) return false;
  return claim.some((grant) => (grant.endsWith('*') ? channel.startsWith(grant.slice(0, -1)) : grant === channel));
}
