import { createContext, createElement, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { ChannelSubscription, SubscribeOptions, SubscriptionState } from '../channels.js';
import type { HeraldClient } from '../client.js';
import { HeraldError } from '../errors.js';
import type { ChannelNotificationData, GatewayPath, NotificationPayload, StreamPosition } from '../protocol.js';

const HeraldContext = createContext<HeraldClient<GatewayPath> | HeraldClient<'/notification'> | undefined>(undefined);

/** Makes a `/notification` client (e.g. `useNotifications(…).client`) the one useChannel() uses below it. */
export function HeraldProvider(props: { client: HeraldClient<'/notification'> | HeraldClient<GatewayPath> | undefined; children?: ReactNode }) {
  return createElement(HeraldContext.Provider, { value: props.client }, props.children);
}

/** The client of the nearest <HeraldProvider>, if any. */
export function useHeraldClient(): HeraldClient<'/notification'> | HeraldClient<GatewayPath> | undefined {
  return useContext(HeraldContext);
}

export interface UseChannelOptions extends SubscribeOptions {
  /** Default: the client of the nearest <HeraldProvider>. */
  client?: HeraldClient<'/notification'> | HeraldClient<GatewayPath>;
  /** Keep at most this many notifications (default 100). */
  limit?: number;
}

export interface UseChannel<T = NotificationPayload> {
  /** `idle` while there is no client or channel yet. */
  state: SubscriptionState | 'idle';
  /** Newest first; each once, across reconnects. */
  notifications: ChannelNotificationData<T>[];
  /** The last re-subscribe's answer: false means some were missed, so refetch. Undefined before any recovery. */
  recovered?: boolean;
  /** The last error of the subscription (`forbidden`, `channel_limit`, `invalid`, `token_failed`…), cleared by `subscribed`. */
  error?: HeraldError;
  /** The last position seen: save it and pass it back as `recover` after a page reload. */
  position?: StreamPosition;
  subscription?: ChannelSubscription<T>;
  clear(): void;
}

/**
 * Subscribes to `channel` for the component's lifetime (undefined: nothing).
 * Components using the same channel on one client share one subscription;
 * StrictMode's extra mount and unmount send nothing (the client defers the
 * wire `unsubscribe` by a task). `token`, `getToken` and `recover` are read
 * when subscribing; getToken is always the latest one passed.
 */
export function useChannel<T = NotificationPayload>(channel: string | undefined, options: UseChannelOptions = {}): UseChannel<T> {
  const context = useContext(HeraldContext);
  const client = options.client ?? context;
  const limit = options.limit ?? 100;
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  const [state, setState] = useState<UseChannel['state']>('idle');
  const [notifications, setNotifications] = useState<ChannelNotificationData<T>[]>([]);
  const [recovered, setRecovered] = useState<boolean>();
  const [error, setError] = useState<HeraldError>();
  const [position, setPosition] = useState<StreamPosition>();
  const [subscription, setSubscription] = useState<ChannelSubscription<T>>();

  useEffect(() => {
    setNotifications([]);
    setRecovered(undefined);
    setError(undefined);
  }, [channel]);

  useEffect(() => {
    if (!client || !channel) {
      setState('idle');
      return;
    }
    const { token, getToken, recover } = latest.current;
    let sub: ChannelSubscription<T>;
    try {
      sub = client.subscribe<T>(channel, { token, recover, getToken: getToken && ((c) => latest.current.getToken!(c)) });
    } catch (err) {
      setError(err instanceof HeraldError ? err : new HeraldError('invalid', String(err)));
      setState('failed');
      return;
    }
    setSubscription(sub);
    setState(sub.state);
    setPosition(sub.position);
    const offs = [
      sub.on('subscribed', () => {
        setState(sub.state);
        setError(undefined);
        setPosition(sub.position);
      }),
      sub.on('notification', (n) => {
        setNotifications((list) => [n, ...list].slice(0, limit));
        setPosition(sub.position);
      }),
      sub.on('recovered', (r) => setRecovered(r.recovered)),
      sub.on('error', (e) => {
        setError(e);
        setState(sub.state);
      }),
      client.on('state', () => setState(sub.state)),
    ];
    return () => {
      for (const off of offs) off();
      sub.unsubscribe();
      setSubscription(undefined);
    };
  }, [client, channel, limit]);

  return { state, notifications, recovered, error, position, subscription, clear: () => setNotifications([]) };
}
