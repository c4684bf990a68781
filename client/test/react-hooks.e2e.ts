/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 */
// Node export conditions: Herald runs in this process, and `ws` resolves to a stub under "browser".
import { nodeFetch } from './jsdom-support.js';
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { ConnectionRegistry } from '../../src/connections/connection.registry.js';
import { notify } from '../../test/support/e2e.js';
import { API_KEY, mintToken, startHerald, type Herald } from '../../test/support/harness.js';
import type { ChatData, WebSocketConstructor } from '../src/index.js';
import { HeraldProvider, useChannel, useHerald, useNotifications } from '../src/react/index.js';
import { serverConnections } from './support.js';

/** React's StrictMode: every effect mounts, unmounts and mounts again. */
const strict = { reactStrictMode: true };

/** jsdom's own WebSocket (browser API, not `ws`), counting how many the hooks open. */
function countingWebSocket() {
  const counter = { opened: 0 };
  const Base = window.WebSocket;
  class Counting extends Base {
    constructor(url: string) {
      super(url);
      counter.opened++;
    }
  }
  return { counter, WebSocket: Counting as unknown as WebSocketConstructor };
}

describe('React hooks against a real Herald (jsdom)', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald({ PUBLIC_CHANNEL_PREFIXES: 'public:' });
  });
  // a failed test leaves no hook (and so no socket or reconnect loop) behind; the next starts from an empty instance
  afterEach(async () => {
    cleanup();
    await waitFor(() => expect(registry().size).toBe(0));
  });
  afterAll(() => h.close());

  const registry = () => h.app.get(ConnectionRegistry);

  it('useHerald under StrictMode opens one socket, sends, receives subscribed types, and closes on unmount', async () => {
    const { counter, WebSocket } = countingWebSocket();
    const tokens: string[] = [];
    const { result, unmount } = renderHook(
      () => useHerald({ url: h.url, path: '/demo', WebSocket, fetch: nodeFetch, getToken: ({ reason }) => (tokens.push(reason), mintToken('rita')) }),
      strict,
    );
    await waitFor(() => expect(result.current.state).toBe('open'));
    expect(counter.opened).toBe(1);
    expect(tokens).toEqual(['connect']);
    expect(registry().openCount('rita')).toBe(1);

    const got: ChatData[] = [];
    const off = result.current.subscribe('broadcast', (data: ChatData) => got.push(data));
    await act(() => result.current.request('broadcast', { text: 'hi from a hook' }));
    await waitFor(() => expect(got).toEqual([{ from: 'rita', text: 'hi from a hook' }]));
    expect(result.current.send('echo', 1)).toBe(true);
    off();
    await act(() => result.current.request('broadcast', { text: 'not seen' }));
    expect(got).toHaveLength(1);

    unmount();
    await waitFor(() => expect(registry().openCount('rita')).toBe(0));
    expect(counter.opened).toBe(1);
  });

  it('useHerald with enabled: false opens nothing; enabling it connects', async () => {
    const { counter, WebSocket } = countingWebSocket();
    const { result, rerender, unmount } = renderHook(
      ({ enabled }) => useHerald({ url: h.url, path: '/demo', enabled, WebSocket, fetch: nodeFetch, getToken: () => mintToken('sol') }),
      { initialProps: { enabled: false }, ...strict },
    );
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(result.current.state).toBe('idle');
    expect(counter.opened).toBe(0);
    rerender({ enabled: true });
    await waitFor(() => expect(result.current.state).toBe('open'));
    expect(counter.opened).toBe(1);
    unmount();
  });

  it('useNotifications lists newest first, across a server-side drop, each once, with the recovered flag', async () => {
    const { counter, WebSocket } = countingWebSocket();
    // the gate: while held, the hook's ticket calls wait, so the client cannot be back before the test publishes
    let held: Promise<void> | undefined;
    let release = () => {};
    const gatedFetch: typeof nodeFetch = async (url, init) => {
      await held;
      return nodeFetch(url, init);
    };
    const { result, unmount } = renderHook(
      () => useNotifications({ url: h.url, WebSocket, fetch: gatedFetch, getToken: () => mintToken('una'), backoff: { baseMs: 20 } }),
      strict,
    );
    await waitFor(() => expect(result.current.state).toBe('open'));
    expect(result.current.recovered).toBeUndefined();
    let first = '';
    let second = '';
    await act(async () => {
      first = await notify(h, 'una', { n: 1 });
      second = await notify(h, 'una', { n: 2 });
    });
    await waitFor(() => expect(result.current.notifications.map((n) => n.id)).toEqual([second, first]));

    // Drop the socket server-side and publish while the client is held away.
    held = new Promise((resolve) => (release = resolve));
    const [conn] = serverConnections(h, 'una', 'notification');
    conn.socket.terminate();
    await waitFor(() => expect(result.current.state).not.toBe('open'));
    await act(() => notify(h, 'una', { n: 3 }));
    expect(result.current.notifications.map((n) => n.payload.n)).toEqual([2, 1]);
    held = undefined;
    act(() => release());
    await waitFor(() => expect(result.current.reconnects).toBe(1));
    await waitFor(() => expect(result.current.notifications.map((n) => n.payload.n)).toEqual([3, 2, 1]));
    expect(result.current.recovered).toBe(true);
    expect(result.current.state).toBe('open');
    expect(counter.opened).toBe(2);

    act(() => result.current.clear());
    expect(result.current.notifications).toEqual([]);
    unmount();
    await waitFor(() => expect(registry().openCount('una')).toBe(0));
  });

  it('useChannel under StrictMode, from a HeraldProvider: one subscribe on the wire for two components, notifications newest first, unsubscribed on unmount', async () => {
    const sent: Array<{ type: string; data?: any }> = [];
    const Base = window.WebSocket;
    class Recording extends Base {
      override send(data: string) {
        sent.push(JSON.parse(data));
        super.send(data);
      }
    }
    const WebSocket = Recording as unknown as WebSocketConstructor;
    function Provider({ children }: { children?: ReactNode }) {
      const inbox = useNotifications({ url: h.url, WebSocket, fetch: nodeFetch, getToken: () => mintToken('vic') });
      return createElement(HeraldProvider, { client: inbox.client }, children);
    }
    const { result, unmount } = renderHook(
      () => ({ a: useChannel<{ n: number }>('public:hooks'), b: useChannel<{ n: number }>('public:hooks') }),
      { wrapper: Provider, ...strict },
    );
    await waitFor(() => expect([result.current.a.state, result.current.b.state]).toEqual(['subscribed', 'subscribed']));
    expect(sent.filter((f) => f.type === 'subscribe')).toEqual([expect.objectContaining({ data: { channel: 'public:hooks' } })]);
    expect(registry().openCount('vic')).toBe(1);
    const presence = async () => {
      const res = await nodeFetch(`${h.url}/channels/public:hooks/presence`, { method: 'GET', headers: { 'x-api-key': API_KEY } });
      return (await res.json()) as { subscribers: number; users: string[] };
    };
    expect(await presence()).toEqual({ channel: 'public:hooks', subscribers: 1, users: ['vic'] });

    const publish = async (n: number) => {
      const res = await nodeFetch(`${h.url}/notifications/channels`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({ channels: ['public:hooks'], event: 'room.msg', payload: { n } }),
      });
      expect(res.status).toBe(202);
    };
    await act(async () => {
      await publish(1);
      await publish(2);
    });
    await waitFor(() => expect(result.current.a.notifications.map((n) => n.payload.n)).toEqual([2, 1]));
    expect(result.current.b.notifications.map((n) => [n.channel, n.offset])).toEqual([
      ['public:hooks', 2],
      ['public:hooks', 1],
    ]);
    expect(result.current.a.position).toEqual({ offset: 2, epoch: result.current.a.notifications[0].epoch });

    unmount();
    await waitFor(() => expect(registry().openCount('vic')).toBe(0));
    await waitFor(async () => expect((await presence()).subscribers).toBe(0));
  });
});
