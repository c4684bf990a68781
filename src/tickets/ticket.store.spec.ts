import { MemoryTicketStore, newTicket } from './ticket.store.js';

describe('MemoryTicketStore', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('issues opaque tickets of at least 128 random bits (>= 22 characters), all distinct', async () => {
    const store = new MemoryTicketStore(30_000, clock);
    const tickets = new Set<string>();
    // 1,000: across several refills of the random pool (256 tickets each)
    for (let i = 0; i < 1000; i++) {
      const { ticket } = await store.issue('alice');
      expect(ticket).toHaveLength(32);
      expect(ticket.length).toBeGreaterThanOrEqual(22);
      expect(ticket).toMatch(/^[A-Za-z0-9_-]+$/);
      // base64url: 6 bits a character
      expect(ticket.length * 6).toBeGreaterThanOrEqual(128);
      expect(ticket).not.toContain('alice');
      tickets.add(ticket);
    }
    expect(tickets.size).toBe(1000);
    expect(newTicket()).not.toBe(newTicket());
  });

  it('answers expiresIn in whole seconds rounded up', async () => {
    expect((await new MemoryTicketStore(30_000, clock).issue('a')).expiresIn).toBe(30);
    expect((await new MemoryTicketStore(1_500, clock).issue('a')).expiresIn).toBe(2);
    expect((await new MemoryTicketStore(1, clock).issue('a')).expiresIn).toBe(1);
  });

  it('binds the ticket to its user', async () => {
    const store = new MemoryTicketStore(30_000, clock);
    const a = await store.issue('alice');
    const b = await store.issue('bob');
    expect(await store.peek(a.ticket)).toBe('alice');
    expect(await store.peek(b.ticket)).toBe('bob');
  });

  it('expires a ticket after its TTL (injected clock)', async () => {
    const store = new MemoryTicketStore(30_000, clock);
    const { ticket } = await store.issue('alice');
    now += 29_999;
    expect(await store.peek(ticket)).toBe('alice');
    now += 1;
    expect(await store.peek(ticket)).toBeUndefined();
    expect(await store.consume(ticket)).toBeUndefined();
  });

  it('does not let an expired ticket be consumed', async () => {
    const store = new MemoryTicketStore(1_000, clock);
    const { ticket } = await store.issue('alice');
    now += 5_000;
    expect(await store.consume(ticket)).toBeUndefined();
  });

  it('is single use: only the first consume gets the user', async () => {
    const store = new MemoryTicketStore(30_000, clock);
    const { ticket } = await store.issue('alice');
    const results = await Promise.all([store.consume(ticket), store.consume(ticket), store.consume(ticket)]);
    expect(results.filter((r) => r === 'alice')).toHaveLength(1);
    expect(await store.consume(ticket)).toBeUndefined();
    expect(await store.peek(ticket)).toBeUndefined();
  });

  it('peek does not use the ticket up', async () => {
    const store = new MemoryTicketStore(30_000, clock);
    const { ticket } = await store.issue('alice');
    expect(await store.peek(ticket)).toBe('alice');
    expect(await store.peek(ticket)).toBe('alice');
    expect(await store.consume(ticket)).toBe('alice');
  });

  it('knows nothing of unknown tickets', async () => {
    const store = new MemoryTicketStore(30_000, clock);
    expect(await store.peek('nope')).toBeUndefined();
    expect(await store.consume('nope')).toBeUndefined();
  });

  it('keeps live tickets when it sweeps expired ones', async () => {
    const store = new MemoryTicketStore(1_000, clock);
    for (let i = 0; i < 1_002; i++) await store.issue(`old-${i}`);
    now += 2_000;
    const live = await store.issue('fresh');
    for (let i = 0; i < 5; i++) await store.issue('more');
    expect(await store.peek(live.ticket)).toBe('fresh');
  });

  it('drops expired tickets as it issues, holding only the live ones, without walking them', async () => {
    const store = new MemoryTicketStore(1_000, clock);
    for (let i = 0; i < 5_000; i++) {
      await store.issue(`u-${i}`);
      now += 1; // one ticket a millisecond: about 1,000 alive at any time
    }
    expect(store.size).toBeLessThanOrEqual(1_001);
    expect(store.size).toBeGreaterThanOrEqual(999);
    // a storm: 10,000 tickets at once are all kept (none expired), each issue stops at the first live ticket
    const entries = (store as unknown as { tickets: Map<string, unknown> }).tickets;
    let visited = 0;
    const iterate = entries[Symbol.iterator].bind(entries);
    (entries as unknown as { [Symbol.iterator]: () => Iterator<unknown> })[Symbol.iterator] = function* () {
      for (const e of iterate()) {
        visited++;
        yield e;
      }
    };
    for (let i = 0; i < 10_000; i++) await store.issue(`storm-${i}`);
    expect(visited).toBeLessThanOrEqual(10_000 + 1_001);
    expect(store.size).toBeGreaterThan(10_000);
  });
});

