import { useCallback, useEffect, useState } from 'react';
import type { AuthOkData, NotificationData } from '../protocol.js';
import { useHerald, type UseHerald, type UseHeraldOptions } from './use-herald.js';

export type UseNotificationsOptions = Omit<UseHeraldOptions, 'path'> & {
  /** Keep at most this many (default 100). */
  limit?: number;
};

export interface UseNotifications extends UseHerald {
  /** Newest first; each notification once, across reconnects. */
  notifications: NotificationData[];
  /** The last reconnect's answer: false means some were missed, so refetch from your backend. Undefined before any recovery. */
  recovered?: boolean;
  clear(): void;
}

/** The `/notification` stream of the signed-in user, as a list. */
export function useNotifications(options: UseNotificationsOptions): UseNotifications {
  const limit = options.limit ?? 100;
  const herald = useHerald({ ...options, path: '/notification' });
  const { subscribe } = herald;
  const [notifications, setNotifications] = useState<NotificationData[]>([]);
  const [recovered, setRecovered] = useState<boolean>();

  useEffect(() => {
    const offs = [
      subscribe('notification', (n: NotificationData) => setNotifications((list) => [n, ...list].slice(0, limit))),
      subscribe('auth_ok', (ok: AuthOkData) => {
        if (ok.recovered !== undefined) setRecovered(ok.recovered);
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [subscribe, limit]);

  const clear = useCallback(() => setNotifications([]), []);
  return { ...herald, notifications, recovered, clear };
}
