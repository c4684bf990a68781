import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page, type Route } from 'playwright-core';
import { ConnectionRegistry } from '../../src/connections/connection.registry.js';
import { postJson, startHerald, type Herald } from '../../test/support/harness.js';
import { ensureClientBuilt } from './ensure-built.js';

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
    h = await startHerald();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function openAs(user: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    page.on('pageerror', (err) => pageErrors.push(`${user}: ${err.message}`));
    await page.goto(`${h.url}/?user=${user}`);
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
    const conns = h.app.get(ConnectionRegistry).ofUser('bob', 'notification');
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
});
