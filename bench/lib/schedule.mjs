// Open-loop send schedule: message k is due at startAt + k/rate and carries that
// intended time, however late it actually goes out (no coordinated omission).
export const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** The benchmark payload: sequence number and intended send time first, padded to `bytes` of JSON. */
export function benchPayload(seq, t, bytes) {
  const bare = JSON.stringify({ bseq: seq, bt: t, pad: '' }).length;
  return { bseq: seq, bt: t, pad: 'x'.repeat(Math.max(0, bytes - bare)) };
}

/** Calls fire(seq, intendedUs) for seq = 0..count-1 at `rate` per second from startAt (µs, hrtime). */
export function runSchedule({ rate, count, startAt }, fire) {
  const period = 1e6 / rate;
  let next = 0;
  let late = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = nowUs();
      while (next < count && startAt + next * period <= now) {
        const due = startAt + next * period;
        if (now - due > 1000) late++;
        fire(next, Math.round(due));
        next++;
      }
      if (next < count) setTimeout(tick, Math.max(0, (startAt + next * period - nowUs()) / 1000));
      else resolve({ late });
    };
    tick();
  });
}
