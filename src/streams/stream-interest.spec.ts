import { MemoryBroker } from '../broker/memory.broker.js';
import { StreamInterest } from './stream-interest.js';

/** The real memory broker, its subscribe calls held until the test lets them through. */
class GatedBroker extends MemoryBroker {
  readonly calls: string[] = [];
  private gates: Array<() => void> = [];
  gated = false;
  fail = false;

  constructor() {
    super(10, 60_000);
  }

  override async subscribe(stream: string): Promise<void> {
    this.calls.push(`sub ${stream}`);
    if (this.gated) await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.fail) throw new Error('broker down');
    return super.subscribe(stream);
  }

  override async unsubscribe(stream: string): Promise<void> {
    this.calls.push(`unsub ${stream}`);
    return super.unsubscribe(stream);
  }

  open(): void {
    this.gated = false;
    this.gates.splice(0).forEach((go) => go());
  }
}

/** Lets queued promise steps run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('StreamInterest', () => {
  let broker: GatedBroker;
  let interest: StreamInterest;
  beforeEach(() => {
    broker = new GatedBroker();
    interest = new StreamInterest(broker);
  });
  afterEach(() => broker.close());

  it('subscribes once for many holders and unsubscribes when the last one leaves', async () => {
    await Promise.all([interest.hold('s'), interest.hold('s'), interest.hold('s')]);
    expect(broker.calls).toEqual(['sub s']);
    interest.release('s');
    interest.release('s');
    await settle();
    expect(broker.calls).toEqual(['sub s']);
    interest.release('s');
    await settle();
    expect(broker.calls).toEqual(['sub s', 'unsub s']);
    interest.release('s'); // one release too many: ignored
    await settle();
    expect(broker.calls).toEqual(['sub s', 'unsub s']);
  });

  it('never has two broker calls for one stream in flight, and ends subscribed when a holder came back', async () => {
    broker.gated = true;
    const first = interest.hold('s');
    await settle();
    interest.release('s');
    const again = interest.hold('s');
    await settle();
    expect(broker.calls).toEqual(['sub s']); // the rest waits for the call in flight
    broker.open();
    await Promise.all([first, again]);
    // each queued step reads the holder count when it runs: held again by then, nothing more to do
    expect(broker.calls).toEqual(['sub s']);
    const seen: string[] = [];
    broker.onPublication((pub) => seen.push(pub.data));
    await broker.publish(['s'], 'x', { history: false });
    expect(seen).toEqual(['x']);
  });

  it('rejects a hold the broker could not subscribe, and subscribes afresh on the next one', async () => {
    broker.fail = true;
    await expect(interest.hold('s')).rejects.toThrow(/broker down|could not subscribe/);
    interest.release('s');
    await settle();
    broker.fail = false;
    await interest.hold('s');
    expect(broker.calls.filter((c) => c === 'sub s').length).toBeGreaterThanOrEqual(2);
    expect(broker.calls.at(-1)).toBe('sub s');
  });
});
