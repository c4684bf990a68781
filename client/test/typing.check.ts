/**
 * Compile-time checks of the typed API, never run: `npm run typecheck` and
 * typing.spec.ts compile this file, and every `@ts-expect-error` below must
 * be an error (an unused one is an error too), so a typo in a message type
 * or a wrong `data` shape does not compile.
 */
import type { ChannelSubscription, HeraldClient, NotificationData, ReplyTo } from '../src/index.js';
import { useChannel, type UseHerald } from '../src/react/index.js';

declare const demo: HeraldClient<'/demo'>;
declare const notif: HeraldClient<'/notification'>;
declare const hook: UseHerald<'/demo'>;

export async function checks(): Promise<void> {
  demo.send('broadcast', { text: 'hi' });
  demo.send('direct', { to: 'bob', text: 'hi' });
  demo.send('ping');
  demo.send('echo', { anything: [1, 2] });
  // @ts-expect-error: a typo in the message type
  demo.send('brodcast', { text: 'hi' });
  // @ts-expect-error: broadcast needs its data
  demo.send('broadcast');
  // @ts-expect-error: `text` must be a string
  demo.send('broadcast', { text: 1 });
  // @ts-expect-error: direct needs `to`
  demo.send('direct', { text: 'hi' });
  // @ts-expect-error: subscribe is a /notification message
  demo.send('subscribe', { channel: 'a' });

  const ack = await demo.request('broadcast', { text: 'x' }, { timeoutMs: 100 });
  const ackType: 'ack' = ack.type;
  const pong: ReplyTo<'/demo', 'ping'> = await demo.request('ping');
  // @ts-expect-error: the reply to ping is a pong, not an ack
  const wrong: 'ack' = pong.type;

  const subscribed = await notif.request('subscribe', { channel: 'doc:1', recover: { offset: 1, epoch: 'e' } });
  const position: number = subscribed.data!.offset;
  // @ts-expect-error: broadcast is a /demo message
  notif.send('broadcast', { text: 'x' });
  // @ts-expect-error: unsubscribe takes a channel
  notif.send('unsubscribe', { name: 'doc:1' });

  notif.on('notification', (n: NotificationData) => {
    if (n.stream === 'channel') {
      const channel: string = n.channel;
      void channel;
    }
  });
  // @ts-expect-error: not an event of the client
  notif.on('notifications', () => undefined);

  type Order = { orderId: string; status: 'shipped' | 'paid' };
  const orders: ChannelSubscription<Order> = notif.subscribe<Order>('order:7');
  orders.on('notification', (n) => {
    const status: 'shipped' | 'paid' = n.payload.status;
    // @ts-expect-error: the payload is typed
    const missing: string = n.payload.trackingNo;
    void status;
    void missing;
  });
  // @ts-expect-error: not an event of a subscription
  orders.on('message', () => undefined);

  hook.on('direct', (data) => {
    const from: string = data.from;
    void from;
  });
  // @ts-expect-error: a typo in the message type
  hook.on('directt', () => undefined);
  // @ts-expect-error: not a /demo message
  hook.send('subscribe', { channel: 'a' });

  const room = useChannel<Order>('order:7');
  const first: 'shipped' | 'paid' | undefined = room.notifications[0]?.payload.status;
  // @ts-expect-error: channel notifications carry the channel's name, typed
  const notNumber: number = room.notifications[0].channel;
  void first;
  void notNumber;

  void ackType;
  void wrong;
  void position;
}
