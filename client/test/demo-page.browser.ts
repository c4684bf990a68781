import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page, type Route } from 'playwright-core';
import { postJson, startHerald, type Herald } from '../../test/support/harness.js';
import { ensureClientBuilt } from './ensure-built.js';
import { serverConnections } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync',
];

/** The demo page in a real Chromium: two users chat, get notifications, and survive a dropped connection. */
describe('demo page in Chromium', () => {
  let h: Herald;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (.ci/run does it)`);
    }
    ensureClientBuilt();
    h = await startHerald({ PUBLIC_CHANNEL_PREFIXES: 'public:' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function openAs(user: string, base = h.url): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    page.on('pageerror', (err) => pageErrors.push(`${user}: ${err.message}`));
    await page.goto(`${base}/?user=${user}`);
    await page.click('#connect');
    await page.waitForSelector('#demo-state[data-state="open"]');
    await page.waitForSelector('#notification-state[data-state="open"]');
    return page;
  }

  const chatTexts = (page: Page, selector = '#chat li') => page.locator(selector).allTextContents();

  it('broadcast, direct, REST notification, and a reconnect that recovers what was sent while down', async () => {
    const alice = await openAs('alice');
    const bob = await openAs('bob');

    // Broadcast: everyone on /demo, the sender included.
    await alice.fill('#text', 'hello everyone');
    await alice.click('#send-broadcast');
    await bob.locator('#chat li', { hasText: 'hello everyone' }).waitFor();
    await alice.locator('#chat li', { hasText: 'hello everyone' }).waitFor();
    expect(await chatTexts(bob)).toEqual(['alicehello everyone']);

    // Direct: only its target.
    await alice.fill('#to', 'bob');
    await alice.fill('#text', 'just for bob');
    await alice.click('#send-direct');
    await bob.locator('#chat li.direct', { hasText: 'just for bob' }).waitFor();
    await alice.fill('#text', 'a second broadcast');
    await alice.click('#send-broadcast');
    await alice.locator('#chat li', { hasText: 'a second broadcast' }).waitFor();
    // alice sees her own note of what she sent, but no direct arrives on her socket.
    await alice.locator('#chat li.sent', { hasText: 'just for bob' }).waitFor();
    expect(await alice.locator('#chat li.direct').count()).toBe(0);
    expect((await chatTexts(bob)).filter((t) => t.includes('just for bob'))).toEqual(['alice → youjust for bob']);

    // A REST notification for bob appears on his page only.
    const shipped = await postJson(h, '/notifications', { userIds: ['bob'], event: 'order.shipped', payload: { order: 42 } });
    expect(shipped.status).toBe(202);
    await bob.locator(`#notifications li[data-id="${shipped.body.id}"]`).waitFor();
    // a round trip on alice's socket: one for her, published after bob's, arrives; so bob's would have been here by now
    const forAlice = await postJson(h, '/notifications', { userIds: ['alice'], event: 'order.placed', payload: { order: 7 } });
    expect(forAlice.status).toBe(202);
    await alice.locator(`#notifications li[data-id="${forAlice.body.id}"]`).waitFor();
    expect(await alice.locator('#notifications li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.id))).toEqual([forAlice.body.id]);

    // The server drops bob's /notification socket; his next ticket call waits until a notification was sent meanwhile.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await bob.route('**/auth/ticket', async (route: Route) => {
      await held;
      await route.continue();
    });
    const conns = serverConnections(h, 'bob', 'notification');
    expect(conns).toHaveLength(1);
    conns[0].socket.terminate();
    await bob.waitForSelector('#notification-state[data-state="connecting"]');
    const whileDown = await postJson(h, '/notifications', { userIds: ['bob'], event: 'order.delivered', payload: { order: 42 } });
    expect(whileDown.status).toBe(202);
    release();
    await bob.locator(`#notifications li[data-id="${whileDown.body.id}"]`).waitFor();
    await bob.waitForSelector('#notification-state[data-state="open"]');
    expect(await bob.textContent('#notification-reconnects')).toBe('1');
    expect(await bob.textContent('#recovered')).toBe('yes');
    expect(await bob.locator('#notifications li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.id))).toEqual([
      whileDown.body.id,
      shipped.body.id,
    ]);
    expect(await bob.textContent('#demo-state')).toBe('open');

    mkdirSync(ARTIFACTS, { recursive: true });
    await bob.screenshot({ path: `${ARTIFACTS}demo.png`, fullPage: true });
    expect(existsSync(`${ARTIFACTS}demo.png`)).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('channels panel: join a public channel, see who is in it, send to it, leave; a non-public one is joined with a subscription token', async () => {
    const carol = await openAs('carol');
    const dave = await openAs('dave');
    for (const page of [carol, dave]) {
      await page.fill('#channel', 'public:lobby');
      await page.click('#join');
      await page.waitForSelector('#channels li[data-channel="public:lobby"][data-state="subscribed"]');
    }
    // who is in it: both, on both pages (the list refreshes on join and every few seconds)
    for (const page of [carol, dave]) await page.waitForSelector('#channels li[data-channel="public:lobby"][data-users="carol,dave"]', { timeout: 10_000 });

    expect(await carol.isEnabled('#send-channel')).toBe(true);
    await carol.fill('#channel-text', 'hello lobby');
    await carol.click('#send-channel');
    for (const page of [carol, dave]) await page.locator('#channel-messages li', { hasText: 'hello lobby' }).waitFor();
    expect(await dave.locator('#channel-messages li').first().textContent()).toMatch(/^public:lobby #1 · .+carol: hello lobby$/);
    expect(await dave.locator('#notifications li').count()).toBe(0);

    await dave.click('#channels li[data-channel="public:lobby"] button');
    await carol.waitForSelector('#channels li[data-channel="public:lobby"][data-users="carol"]', { timeout: 10_000 });
    expect(await dave.isEnabled('#send-channel')).toBe(false);

    // not public: forbidden, then joined with a token from /dev/token
    await dave.fill('#channel', 'team:1');
    await dave.click('#join');
    await dave.waitForSelector('#channels li[data-channel="team:1"][data-state="subscribed"]');
    expect(await dave.textContent('#channel-hint')).toContain('not public');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('controls follow the connection, and empty or undeliverable messages get feedback', async () => {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (err) => pageErrors.push(`erin: ${err.message}`));
    await page.goto(`${h.url}/?user=erin`);
    for (const id of ['#send-broadcast', '#send-direct', '#notify-me', '#join', '#send-channel']) expect([id, await page.isEnabled(id)]).toEqual([id, false]);
    await page.click('#connect');
    await page.waitForSelector('#demo-state[data-state="open"]');
    await page.waitForSelector('#notification-state[data-state="open"]');
    for (const id of ['#send-broadcast', '#send-direct', '#notify-me', '#join']) expect([id, await page.isEnabled(id)]).toEqual([id, true]);

    await page.click('#send-broadcast');
    expect(await page.textContent('#chat-hint')).toMatch(/Type a message first/);
    expect(await page.locator('#chat li').count()).toBe(0);

    await page.fill('#to', 'nobody-here');
    await page.fill('#text', 'are you there?');
    await page.click('#send-direct');
    await page.waitForFunction(() => document.getElementById('chat-hint')!.textContent!.includes('offline'));
    expect(await page.textContent('#chat-hint')).toBe('nobody-here is offline: nobody received it (direct messages are not stored).');

    await page.click('#disconnect');
    await page.waitForSelector('#demo-state[data-state="closed"]');
    for (const id of ['#send-broadcast', '#send-direct', '#notify-me', '#join']) expect([id, await page.isEnabled(id)]).toEqual([id, false]);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('after a restart (new epochs) entries stay distinct, with a divider, and a failing getToken is named as such in the log', async () => {
    // The page talks to a proxy on a fixed port; "restarting" Herald is pointing the proxy at a fresh instance.
    const second = await startHerald();
    const proxy = await SwitchingProxy.start(new URL(h.url).port);
    try {
      const frank = await openAs('frank', proxy.url);
      const first = await postJson(h, '/notifications', { userIds: ['frank'], event: 'before.restart' });
      await frank.locator(`#notifications li[data-id="${first.body.id}"]`).waitFor();

      proxy.switchTo(new URL(second.url).port);
      await frank.waitForSelector('#notification-state[data-state="open"]');
      await frank.waitForFunction(() => document.getElementById('recovered')!.textContent!.startsWith('no'));
      const after = await postJson(second, '/notifications', { userIds: ['frank'], event: 'after.restart' });
      await frank.locator(`#notifications li[data-id="${after.body.id}"]`).waitFor();
      const labels = await frank.locator('#notifications li:not(.epoch) .meta').allTextContents();
      expect(labels).toHaveLength(2);
      expect(labels.every((l) => l.startsWith('user #1 · '))).toBe(true);
      expect(new Set(labels).size).toBe(2);
      expect(await frank.locator('#notifications li.epoch').count()).toBe(1);

      // getToken fails (the token endpoint is down): the log says so, not "ticket"
      await frank.route('**/dev/token', (route: Route) => route.fulfill({ status: 500, body: 'down' }));
      proxy.switchTo(new URL(h.url).port);
      await frank.locator('#log li', { hasText: 'getToken failed' }).first().waitFor();
      expect(await frank.locator('#log li', { hasText: '(ticket' }).count()).toBe(0);
    } finally {
      proxy.close();
      await second.close();
    }
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

/** A TCP proxy on a fixed local port whose target can be switched; switching cuts every open connection. */
class SwitchingProxy {
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((inbound) => {
    const outbound = net.connect(Number(this.target), '127.0.0.1');
    for (const s of [inbound, outbound]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    inbound.pipe(outbound).pipe(inbound);
  });

  private constructor(private target: string) {}

  static async start(target: string): Promise<SwitchingProxy> {
    const proxy = new SwitchingProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  switchTo(target: string): void {
    this.target = target;
    for (const s of this.sockets) s.destroy();
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}
