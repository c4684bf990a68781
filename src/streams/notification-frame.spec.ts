import { encodeBody, historyEntry, notificationFrame } from './notification-frame.js';

const body = { id: 'n1', event: 'doc.edited', payload: { a: [1, { b: '}' }] }, ts: 1732540800000 };
const pub = (data: string) => ({ stream: 's', data, offset: 3, epoch: 'e"1' });

describe('notificationFrame', () => {
  it('adds the stream fields of a user or broadcast stream', () => {
    const frame = JSON.parse(notificationFrame({ kind: 'user' }, pub(encodeBody(body))).toString());
    expect(frame).toEqual({ type: 'notification', data: { ...body, stream: 'user', offset: 3, epoch: 'e"1' } });
  });

  it('adds the channel name for a channel', () => {
    const frame = JSON.parse(notificationFrame({ kind: 'channel', channel: 'doc:"42"' }, pub(encodeBody(body))).toString());
    expect(frame).toEqual({ type: 'notification', data: { ...body, stream: 'channel', channel: 'doc:"42"', offset: 3, epoch: 'e"1' } });
  });

  it('falls back to parsing a body that is not an object with fields', () => {
    const frame = JSON.parse(notificationFrame({ kind: 'broadcast' }, pub('{}')).toString());
    expect(frame).toEqual({ type: 'notification', data: { stream: 'broadcast', offset: 3, epoch: 'e"1' } });
  });

  it('gives REST history entries without the stream fields', () => {
    expect(historyEntry(pub(encodeBody(body)))).toEqual({ ...body, offset: 3 });
  });
});
