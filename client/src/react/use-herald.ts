import { useCallback, useEffect, useRef, useState } from 'react';
import { HeraldClient, type ClientType, type ConnectionState, type HeraldClientOptions, type ReplyTo, type RequestArgs, type SendArgs, type ServerType } from '../client.js';
import { HeraldError } from '../errors.js';
import type { Envelope, GatewayPath, ServerMessagesOf } from '../protocol.js';

export type UseHeraldOptions<P extends GatewayPath = GatewayPath> = HeraldClientOptions<P> & {
  /** False keeps the hook disconnected (e.g. until the user logs in). Default true. */
  enabled?: boolean;
};

/** A listener for frames of one type; `data` is typed by the gateway's message map. */
export type MessageHandler<D = any> = (data: D, frame: Envelope) => void;

export interface UseHerald<P extends GatewayPath = GatewayPath> {
  state: ConnectionState;
  reconnects: number;
  /** The last error the client reported (cleared on the next open). */
  error?: HeraldError;
  /** The live client, once created; undefined while disabled. Pass it to <HeraldProvider> for useChannel(). */
  client?: HeraldClient<P>;
  send<K extends ClientType<P>>(type: K, ...args: SendArgs<P, K>): boolean;
  request<K extends ClientType<P>>(type: K, ...args: RequestArgs<P, K>): Promise<ReplyTo<P, K>>;
  /** Calls `handler(data, frame)` for every frame of `type` Herald sends; returns the function that stops it. Stable across reconnects. */
  on<K extends ServerType<P>>(type: K, handler: MessageHandler<ServerMessagesOf<P>[K]>): () => void;
  /** @deprecated the old name of on(); not to be confused with HeraldClient.subscribe(channel). */
  subscribe<K extends ServerType<P>>(type: K, handler: MessageHandler<ServerMessagesOf<P>[K]>): () => void;
}

/**
 * One Herald connection for a component's lifetime. `url`, `path` and
 * `enabled` recreate it; the other options are read when it is created, and
 * getToken is always the latest one passed. StrictMode-safe: connect() is
 * deferred by a task, so the mount React throws away never opens a socket.
 */
export function useHerald<P extends GatewayPath>(options: UseHeraldOptions<P>): UseHerald<P> {
  const { url, path, enabled = true } = options;
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  const handlers = useRef(new Map<string, Set<MessageHandler>>());
  const clientRef = useRef<HeraldClient<P> | undefined>(undefined);
  const [client, setClient] = useState<HeraldClient<P>>();
  const [state, setState] = useState<ConnectionState>('idle');
  const [reconnects, setReconnects] = useState(0);
  const [error, setError] = useState<HeraldError>();

  useEffect(() => {
    if (!enabled) return;
    const { enabled: _enabled, getToken: _getToken, ...rest } = latest.current;
    const c = new HeraldClient<P>({ ...rest, getToken: (request) => latest.current.getToken(request) });
    const offs = [
      c.on('state', (change) => {
        setState(change.state);
        setReconnects(change.reconnects);
        if (change.state === 'open') setError(undefined);
      }),
      c.on('error', setError),
      c.on('message', (frame) => {
        for (const handler of [...(handlers.current.get(frame.type) ?? [])]) handler(frame.data, frame);
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

  const send = useCallback(
    <K extends ClientType<P>>(type: K, ...args: SendArgs<P, K>) => clientRef.current?.send(type, ...args) ?? false,
    [],
  );
  const request = useCallback(
    <K extends ClientType<P>>(type: K, ...args: RequestArgs<P, K>): Promise<ReplyTo<P, K>> =>
      clientRef.current ? clientRef.current.request(type, ...args) : Promise.reject(new HeraldError('not_connected', 'not connected')),
    [],
  );
  const on = useCallback(<K extends ServerType<P>>(type: K, handler: MessageHandler<ServerMessagesOf<P>[K]>) => {
    let set = handlers.current.get(type);
    if (!set) handlers.current.set(type, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }, []);

  return { state, reconnects, error, client, send, request, on, subscribe: on };
}
