import { useCallback, useEffect, useRef, useState } from 'react';
import { HeraldClient, type ConnectionState, type HeraldClientOptions } from '../client.js';
import { HeraldError } from '../errors.js';
import type { Envelope } from '../protocol.js';

export type UseHeraldOptions = HeraldClientOptions & {
  /** False keeps the hook disconnected (e.g. until the user logs in). Default true. */
  enabled?: boolean;
};

export type MessageHandler = (data: any, frame: Envelope) => void;

export interface UseHerald {
  state: ConnectionState;
  reconnects: number;
  /** The last error the client reported (cleared on the next open). */
  error?: HeraldError;
  /** The live client, once created; undefined while disabled. */
  client?: HeraldClient;
  send(type: string, data?: unknown): boolean;
  request(type: string, data?: unknown, options?: { timeoutMs?: number }): Promise<Envelope>;
  /** Calls `handler(data, frame)` for every frame of `type`; returns the unsubscribe function. Stable across reconnects. */
  subscribe(type: string, handler: MessageHandler): () => void;
}

/**
 * One Herald connection for a component's lifetime. `url`, `path` and
 * `enabled` recreate it; the other options are read when it is created, and
 * getToken is always the latest one passed. StrictMode-safe: connect() is
 * deferred by a task, so the mount React throws away never opens a socket.
 */
export function useHerald(options: UseHeraldOptions): UseHerald {
  const { url, path, enabled = true } = options;
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  const subscribers = useRef(new Map<string, Set<MessageHandler>>());
  const clientRef = useRef<HeraldClient | undefined>(undefined);
  const [client, setClient] = useState<HeraldClient>();
  const [state, setState] = useState<ConnectionState>('idle');
  const [reconnects, setReconnects] = useState(0);
  const [error, setError] = useState<HeraldError>();

  useEffect(() => {
    if (!enabled) return;
    const { enabled: _enabled, getToken: _getToken, ...rest } = latest.current;
    const c = new HeraldClient({ ...rest, getToken: (request) => latest.current.getToken(request) });
    const offs = [
      c.on('state', (change) => {
        setState(change.state);
        setReconnects(change.reconnects);
        if (change.state === 'open') setError(undefined);
      }),
      c.on('error', setError),
      c.on('message', (frame) => {
        for (const handler of [...(subscribers.current.get(frame.type) ?? [])]) handler(frame.data, frame);
      }),
    ];
    clientRef.current = c;
    setClient(c);
    const start = setTimeout(() => c.connect(), 0);
    return () => {
      clearTimeout(start);
      for (const off of offs) off();
      c.close();
      if (clientRef.current === c) clientRef.current = undefined;
      setClient(undefined);
      setState('closed');
    };
  }, [url, path, enabled]);

  const send = useCallback((type: string, data?: unknown) => clientRef.current?.send(type, data) ?? false, []);
  const request = useCallback(
    (type: string, data?: unknown, opts?: { timeoutMs?: number }) =>
      clientRef.current
        ? clientRef.current.request(type, data, opts)
        : Promise.reject(new HeraldError('not_connected', 'not connected')),
    [],
  );
  const subscribe = useCallback((type: string, handler: MessageHandler) => {
    let set = subscribers.current.get(type);
    if (!set) subscribers.current.set(type, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }, []);

  return { state, reconnects, error, client, send, request, subscribe };
}
