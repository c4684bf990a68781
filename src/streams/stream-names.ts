/**
 * The one place broker stream names are formatted and parsed. Names end with
 * what users choose (user ids may hold any character; channel names ':'), so
 * parsing goes by fixed prefixes, never by splitting.
 *
 * - `n:user:<userId>`: a user's notification stream (PROTOCOL §5), with history
 * - `n:broadcast`: the broadcast notification stream, with history
 * - `n:ch:<channel>`: a channel (PROTOCOL §10), with history
 * - `gw:<gateway>`: every connection of a gateway (the /demo `broadcast`), no history
 * - `to:<gateway>:<userId>`: one user's connections on a gateway (the /demo `direct`), no history
 *
 * `<gateway>` is the gateway's path without its slash (`demo`).
 */
export type StreamRef =
  | { kind: 'user'; userId: string }
  | { kind: 'broadcast' }
  | { kind: 'channel'; channel: string }
  | { kind: 'gateway'; path: string }
  | { kind: 'direct'; path: string; userId: string };

/** What a `notification` frame says in `data.stream` (PROTOCOL §5, §10). */
export type NotificationStream = 'user' | 'broadcast' | 'channel';

const USER = 'n:user:';
const CHANNEL = 'n:ch:';
const GATEWAY = 'gw:';
const DIRECT = 'to:';
export const BROADCAST_STREAM = 'n:broadcast';

export const streamName = {
  user: (userId: string) => USER + userId,
  broadcast: () => BROADCAST_STREAM,
  channel: (channel: string) => CHANNEL + channel,
  gateway: (path: string) => GATEWAY + path.slice(1),
  direct: (path: string, userId: string) => `${DIRECT}${path.slice(1)}:${userId}`,
};

export function parseStreamName(name: string): StreamRef | undefined {
  if (name === BROADCAST_STREAM) return { kind: 'broadcast' };
  if (name.startsWith(USER)) return { kind: 'user', userId: name.slice(USER.length) };
  if (name.startsWith(CHANNEL)) return { kind: 'channel', channel: name.slice(CHANNEL.length) };
  if (name.startsWith(GATEWAY)) return { kind: 'gateway', path: `/${name.slice(GATEWAY.length)}` };
  if (name.startsWith(DIRECT)) {
    const colon = name.indexOf(':', DIRECT.length);
    if (colon < 0) return undefined;
    return { kind: 'direct', path: `/${name.slice(DIRECT.length, colon)}`, userId: name.slice(colon + 1) };
  }
  return undefined;
}
