import { parseStreamName, streamName } from './stream-names.js';

describe('stream names', () => {
  it.each([
    [streamName.user('alice'), { kind: 'user', userId: 'alice' }],
    [streamName.user('a:b c/ü'), { kind: 'user', userId: 'a:b c/ü' }],
    [streamName.broadcast(), { kind: 'broadcast' }],
    [streamName.channel('team:7:docs'), { kind: 'channel', channel: 'team:7:docs' }],
    [streamName.gateway('/demo'), { kind: 'gateway', path: '/demo' }],
    [streamName.direct('/demo', 'bob:x'), { kind: 'direct', path: '/demo', userId: 'bob:x' }],
  ])('%s parses back to what formatted it', (name, ref) => {
    expect(parseStreamName(name)).toEqual(ref);
  });

  it('keeps the names history already holds', () => {
    expect([streamName.user('u'), streamName.broadcast(), streamName.gateway('/demo'), streamName.direct('/demo', 'u')]).toEqual([
      'n:user:u',
      'n:broadcast',
      'gw:demo',
      'to:demo:u',
    ]);
  });

  it('does not take a user whose id looks like a prefix for another stream', () => {
    expect(parseStreamName(streamName.user('ch:x'))).toEqual({ kind: 'user', userId: 'ch:x' });
    expect(parseStreamName('n:other')).toBeUndefined();
  });
});
