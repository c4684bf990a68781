import { MemoryTicketStore, newTicket, redactTicket } from './ticket.store.js';

describe('MemoryTicketStore', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('issues opaque tickets of at least 128 random bits (>= 22 characters), all distinct', async () => {
    const store = new MemoryTicketStore(30_000, clock);
    const tickets = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { ticket } = await store.issue('alice');
      expect(ticket.length).toBeGreaterThanOrEqual(22);
      expect(ticket).toMatch(/^[A-Za-z0-9_-]+$/);
      // base64url: 6 bits a character
      expect(ticket.length * 6).toBeGreaterThanOrEqual(128);
      expect(ticket).not.toContain('alice');
      tickets.add(ticket);
    }
    expect(tickets.size).toBe(200);
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
});

describe('redactTicket', () => {
  it('keeps too little of a ticket to use it', () => {
    const ticket = newTicket();
    const shown = redactTicket(ticket);
    expect(shown).not.toContain(ticket);
    expect(shown.replace('…', '').length).toBeLessThanOrEqual(4);
  });
});
