import { ChannelTable, type ChannelLink } from '../src/channels.js';
import type { ChannelNotificationData, Envelope } from '../src/protocol.js';

/** A fake connection: records what the table writes; `gen` changes per connection. */
class FakeLink implements ChannelLink {
  open = false;
  gen = 1;
  sent: Envelope[] = [];
  isOpen = () => this.open;
  write = (frame: Envelope) => void this.sent.push(frame);
  generation = () => this.gen;
  connect() {
    this.open = true;
    this.gen++;
  }
  drop() {
    this.open = false;
    this.gen++;
  }
  last(type: string) {
    return [...this.sent].reverse().find((f) => f.type === type)!;
  }
}

const note = (channel: string, offset: number, epoch = 'e1'): ChannelNotificationData => ({
  id: `${channel}-${offset}`, event: 'x', payload: { offset }, stream: 'channel', channel, offset, epoch, ts: 0,
});
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 1));

function setup() {
  const link = new FakeLink();
  const table = new ChannelTable(link);
  /** What the client does with a notification frame. */
  const receive = (n: ChannelNotificationData) => {
    const entry = table.accept(n);
    if (entry) table.deliver(entry, n);
    return entry !== undefined;
  };
  return { link, table, receive };
}

describe('ChannelTable', () => {
  it('subscribes once connected, then re-subscribes with the last position after every reconnect', () => {
    const { link, table, receive } = setup();
    const sub = table.subscribe('doc:42');
    expect(link.sent).toEqual([]);
    link.connect();
    table.opened();
    const first = link.last('subscribe');
    expect(first.data).toEqual({ channel: 'doc:42' });
    const got: number[] = [];
    sub.on('notification', (n) => got.push(n.offset));
    expect(table.answer({ type: 'subscribed', id: first.id, data: { channel: 'doc:42', offset: 3, epoch: 'e1' } })).toBe(true);
    expect(sub.state).toBe('subscribed');
    expect(sub.position).toEqual({ offset: 3, epoch: 'e1' });
    receive(note('doc:42', 4));
    receive(note('doc:42', 5));

    link.drop();
    table.closed();
    expect(sub.state).toBe('subscribing');
    link.connect();
    table.opened();
    const again = link.last('subscribe');
    expect(again.id).not.toBe(first.id);
    expect(again.data).toEqual({ channel: 'doc:42', recover: { offset: 5, epoch: 'e1' } });
    const recoveries: boolean[] = [];
    sub.on('recovered', (r) => recoveries.push(r.recovered));
    table.answer({ type: 'subscribed', id: again.id, data: { channel: 'doc:42', offset: 7, epoch: 'e1', recovered: true } });
    // the replay, with a repeat of 5 that must be dropped
    for (const offset of [5, 6, 7, 7]) receive(note('doc:42', offset));
    expect(got).toEqual([4, 5, 6, 7]);
    expect(recoveries).toEqual([true]);
  });

  it('jumps to the server position on recovered: false, so the next reconnect does not ask for the lost range again', () => {
    const { link, table } = setup();
    const sub = table.subscribe('team:7', { recover: { offset: 2, epoch: 'old' } });
    link.connect();
    table.opened();
    const s = link.last('subscribe');
    expect(s.data).toEqual({ channel: 'team:7', recover: { offset: 2, epoch: 'old' } });
    const seen: unknown[] = [];
    sub.on('recovered', (r) => seen.push(r));
    table.answer({ type: 'subscribed', id: s.id, data: { channel: 'team:7', offset: 9, epoch: 'new', recovered: false } });
    expect(seen).toEqual([{ channel: 'team:7', recovered: false, position: { offset: 9, epoch: 'new' } }]);
    expect(table.positions()).toEqual({ 'team:7': { offset: 9, epoch: 'new' } });
  });

  it('shares one wire subscription between handles; the last unsubscribe sends unsubscribe on the next task', async () => {
    const { link, table, receive } = setup();
    link.connect();
    const a = table.subscribe('room:1');
    const b = table.subscribe('room:1');
    expect(link.sent.filter((f) => f.type === 'subscribe')).toHaveLength(1);
    table.answer({ type: 'subscribed', id: link.last('subscribe').id, data: { channel: 'room:1', offset: 0, epoch: 'e' } });
    const gotA: number[] = [];
    const gotB: number[] = [];
    a.on('notification', (n) => gotA.push(n.offset));
    b.on('notification', (n) => gotB.push(n.offset));
    receive(note('room:1', 1, 'e'));
    a.unsubscribe();
    expect(a.state).toBe('unsubscribed');
    receive(note('room:1', 2, 'e'));
    await nextTask();
    expect(link.sent.filter((f) => f.type === 'unsubscribe')).toHaveLength(0);
    expect(gotA).toEqual([1]);
    expect(gotB).toEqual([1, 2]);
    b.unsubscribe();
    await nextTask();
    expect(link.last('unsubscribe').data).toEqual({ channel: 'room:1' });
    expect(receive(note('room:1', 3, 'e'))).toBe(false);
  });

  it('keeps the subscription when it is taken again within the same task (React StrictMode)', async () => {
    const { link, table } = setup();
    link.connect();
    const first = table.subscribe('room:2');
    first.unsubscribe();
    const second = table.subscribe('room:2');
    await nextTask();
    expect(link.sent.map((f) => f.type)).toEqual(['subscribe']);
    expect(second.state).toBe('subscribing');
  });

  it('marks a refused subscription failed, does not retry it on reconnect, and asks again on a new subscribe', () => {
    const { link, table } = setup();
    link.connect();
    const sub = table.subscribe('secret:1');
    const errors: string[] = [];
    sub.on('error', (e) => errors.push(e.code));
    table.answer({ type: 'error', id: link.last('subscribe').id, data: { code: 'forbidden', message: 'no' } });
    expect(errors).toEqual(['forbidden']);
    expect(sub.state).toBe('failed');
    link.drop();
    table.closed();
    link.connect();
    table.opened();
    expect(link.sent.filter((f) => f.type === 'subscribe')).toHaveLength(1);
    table.subscribe('secret:1', { token: 'sub-token' });
    expect(link.last('subscribe').data).toEqual({ channel: 'secret:1', token: 'sub-token' });
    expect(sub.state).toBe('subscribing');
  });

  it('asks getToken before every subscribe and drops a token that arrives for an old connection', async () => {
    const { link, table } = setup();
    const asked: string[] = [];
    let release!: (t: string) => void;
    table.subscribe('doc:1', {
      getToken: (channel) => {
        asked.push(channel);
        return asked.length === 1 ? new Promise<string>((r) => (release = r)) : `t${asked.length}`;
      },
    });
    link.connect();
    table.opened();
    link.drop();
    table.closed();
    release('stale');
    await nextTask();
    expect(link.sent).toEqual([]);
    link.connect();
    table.opened();
    await nextTask();
    expect(asked).toEqual(['doc:1', 'doc:1']);
    expect(link.last('subscribe').data).toEqual({ channel: 'doc:1', token: 't2' });
  });

  it('reports a failing getToken on the subscription and keeps trying on the next connection', async () => {
    const { link, table } = setup();
    const sub = table.subscribe('doc:2', { getToken: () => Promise.reject(new Error('backend down')) });
    const errors: string[] = [];
    sub.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
    link.connect();
    table.opened();
    await nextTask();
    expect(errors).toEqual(['token_failed: getToken for channel doc:2 failed: backend down']);
    expect(sub.state).toBe('subscribing');
  });

  it('refuses a bad channel name locally', () => {
    const { table } = setup();
    expect(() => table.subscribe('has space')).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(() => table.subscribe('x'.repeat(129))).toThrow(/1 to 128/);
  });

  it('ready() resolves with subscribed and rejects with the refusal', async () => {
    const { link, table } = setup();
    link.connect();
    const ok = table.subscribe('a');
    const ready = ok.ready();
    table.answer({ type: 'subscribed', id: link.last('subscribe').id, data: { channel: 'a', offset: 1, epoch: 'e' } });
    await expect(ready).resolves.toEqual({ channel: 'a', offset: 1, epoch: 'e' });
    await expect(ok.ready()).resolves.toEqual({ channel: 'a', offset: 1, epoch: 'e' });
    const refused = table.subscribe('b');
    const failing = refused.ready();
    table.answer({ type: 'error', id: link.last('subscribe').id, data: { code: 'channel_limit', message: 'too many' } });
    await expect(failing).rejects.toMatchObject({ code: 'channel_limit' });
  });
});
