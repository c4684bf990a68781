import type { Herald } from './harness.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** GET /metrics as text (Prometheus exposition format). */
export async function scrapeMetrics(h: Pick<Herald, 'url'>): Promise<string> {
  const res = await fetch(`${h.url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/**
 * The one metrics parser: the value of the sample `name{labels}` (labels exactly as
 * exposed, e.g. `gateway="demo",code="4429"`; none for an unlabelled sample), or
 * undefined when the text has no such sample.
 */
export function sample(text: string, name: string, labels = ''): number | undefined {
  const m = new RegExp(`^${escape(name)}${labels ? `\\{${escape(labels)}\\}` : ''} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Like `sample`, with 0 for a sample not exposed yet (a counter that never moved). */
export function metricValue(text: string, name: string, labels = ''): number {
  return sample(text, name, labels) ?? 0;
}

/** Scrapes and reads one sample (0 when absent). */
export async function metric(h: Pick<Herald, 'url'>, name: string, labels = ''): Promise<number> {
  return metricValue(await scrapeMetrics(h), name, labels);
}
