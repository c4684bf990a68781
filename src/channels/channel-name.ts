/** PROTOCOL §10: a channel's name, 1 to 128 characters of `[A-Za-z0-9_.:@-]`. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
export const CHANNEL_RULE = 'channel must be 1 to 128 characters of [A-Za-z0-9_.:@-]';

export function isChannelName(value: unknown): value is string {
  return typeof value === 'string' && CHANNEL_PATTERN.test(value);
}
