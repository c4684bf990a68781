// Log-linear latency histogram in microseconds: exact below 256 µs, then 128 buckets
// per power of two (< 0.8 % error), mergeable across processes as a plain array.
const LINEAR = 256;
const SUB = 128;
const SIZE = LINEAR + 24 * SUB;

const indexOf = (us) => {
  const v = us < 0 ? 0 : us >= 2 ** 31 ? 2 ** 31 - 1 : Math.round(us);
  if (v < LINEAR) return v;
  const e = 31 - Math.clz32(v);
  const shift = e - 7;
  return LINEAR + (e - 8) * SUB + ((v >>> shift) - SUB);
};

const valueOf = (i) => {
  if (i < LINEAR) return i;
  const k = i - LINEAR;
  const shift = Math.floor(k / SUB) + 1;
  return ((k % SUB) + SUB + 0.5) * 2 ** shift;
};

export class Histogram {
  constructor(counts) {
    this.counts = counts ? Float64Array.from(counts) : new Float64Array(SIZE);
    this.total = this.counts.reduce((a, b) => a + b, 0);
  }

  record(us) {
    this.counts[indexOf(us)]++;
    this.total++;
  }

  merge(other) {
    const counts = other instanceof Histogram ? other.counts : other;
    for (let i = 0; i < SIZE; i++) this.counts[i] += counts[i];
    this.total += other instanceof Histogram ? other.total : counts.reduce((a, b) => a + b, 0);
    return this;
  }

  /** Value (µs) at percentile p (0–100). */
  percentile(p) {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) return valueOf(i);
    }
    return valueOf(SIZE - 1);
  }

  toJSON() {
    return Array.from(this.counts);
  }
}

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
