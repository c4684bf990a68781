import { MemoryPresence } from './memory.presence.js';

describe('MemoryPresence', () => {
  it('counts a user’s connections through one, many and none', async () => {
    const presence = new MemoryPresence();
    await presence.add('u', 'c1');
    await presence.add('u', 'c1');
    expect(await presence.count('u')).toBe(1);
    await presence.add('u', 'c2');
    await presence.add('u', 'c3');
    expect(await presence.count('u')).toBe(3);
    await presence.remove('u', 'c2');
    await presence.remove('u', 'c1');
    expect(await presence.count('u')).toBe(1);
    await presence.remove('u', 'nope');
    expect(await presence.count('u')).toBe(1);
    await presence.remove('u', 'c3');
    expect(await presence.count('u')).toBe(0);
  });
});
