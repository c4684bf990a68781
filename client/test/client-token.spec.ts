import { HeraldClient, type StateChange, type WebSocketConstructor } from '../src/index.js';

/** No server needed: getToken fails before any request or socket. */
describe('HeraldClient when getToken fails', () => {
  it('reports the token failure as such (kind "token"), asks for no ticket, and retries with backoff', async () => {
    let ticketCalls = 0;
    let sockets = 0;
    const client = new HeraldClient({
      url: 'http://127.0.0.1:9',
      path: '/notification',
      getToken: () => Promise.reject(new Error('auth backend down')),
      fetch: async () => {
        ticketCalls++;
        return { status: 500, json: async () => ({}) };
      },
      WebSocket: class {
        constructor() {
          sockets++;
        }
      } as unknown as WebSocketConstructor,
      backoff: { baseMs: 60_000 },
    });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
    const reconnecting = new Promise<StateChange>((resolve) => client.on('state', (s) => s.state === 'reconnecting' && resolve(s)));
    client.connect();
    const change = await reconnecting;
    client.close();
    expect(change.disconnect).toEqual({ kind: 'token', message: 'auth backend down' });
    expect(errors).toEqual(['token_failed: getToken failed: auth backend down']);
    expect([ticketCalls, sockets]).toEqual([0, 0]);
  });
});
