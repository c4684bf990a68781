import { execFileSync, spawnSync } from 'node:child_process';
import { startHerald, type Herald } from './support/harness.js';

interface Family {
  name: string;
  type?: string;
  help?: string;
  samples: string[];
}

/** Parses Prometheus text exposition into families (HELP, TYPE and the sample names under them). */
function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  const family = (name: string) => out.get(name) ?? out.set(name, { name, samples: [] }).get(name)!;
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'HELP') family(meta[2]).help = meta[3];
      else family(meta[2]).type = meta[3];
    } else if (line && !line.startsWith('#')) {
      const name = /^[^{ ]+/.exec(line)![0];
      const owner = [...out.values()].reverse().find((f) => name === f.name || name.startsWith(`${f.name}_`));
      (owner ?? family(name)).samples.push(name);
    }
  }
  return out;
}

/**
 * What `promtool check metrics` (client_golang's promlint) reports, as a list of problems: names in snake_case,
 * `_total` on counters and only on counters, `_bucket`/`_sum`/`_count` only on histograms and summaries, base
 * units, and help on every family.
 */
function lint(text: string): string[] {
  const problems: string[] = [];
  for (const f of families(text).values()) {
    if (!f.type) problems.push(`${f.name}: no TYPE`);
    if (!f.help) problems.push(`${f.name}: no help text`);
    if (!/^[a-z_:][a-z0-9_:]*$/.test(f.name)) problems.push(`${f.name}: not snake_case`);
    if (f.type === 'counter' && !f.name.endsWith('_total')) problems.push(`${f.name}: counter without _total`);
    if (f.type !== 'counter' && f.name.endsWith('_total')) problems.push(`${f.name}: ${f.type} with the counter suffix _total`);
    if (f.type !== 'histogram' && f.type !== 'summary' && /_(bucket|sum|count)$/.test(f.name))
      problems.push(`${f.name}: reserved suffix on a ${f.type}`);
    if (/_(milliseconds|microseconds|nanoseconds|minutes|hours|days|kilobytes|megabytes|percent)(_|$)/.test(f.name))
      problems.push(`${f.name}: not a base unit`);
    for (const sample of f.samples) {
      const allowed =
        f.type === 'histogram'
          ? [f.name, `${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`]
          : f.type === 'summary'
            ? [f.name, `${f.name}_sum`, `${f.name}_count`]
            : [f.name];
      if (!allowed.includes(sample)) problems.push(`${sample}: sample outside its family ${f.name}`);
    }
  }
  return problems;
}

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('GET /metrics is clean for promtool, with the stock default metric names', () => {
  let h: Herald;
  let text: string;

  beforeAll(async () => {
    h = await startHerald();
    text = await (await fetch(`${h.url}/metrics`)).text();
  });
  afterAll(() => h.close());

  it(`passes the promtool rules${promtool ? ' and promtool itself' : ''} (counters end in _total, nothing else does; help everywhere)`, () => {
    expect(lint(text)).toEqual([]);
    // the rules above catch what promtool caught before: prom-client's default gauges named *_total
    expect(lint('# HELP nodejs_active_handles_total x\n# TYPE nodejs_active_handles_total gauge\nnodejs_active_handles_total 3\n')).toEqual([
      'nodejs_active_handles_total: gauge with the counter suffix _total',
    ]);
    // and promtool itself where it is installed (Debian: apt-get install prometheus)
    if (promtool) expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' }).trim()).toBe('');
  });

  it('names the default process and Node.js metrics as stock dashboards expect (no herald_ prefix)', () => {
    const names = [...families(text).keys()];
    for (const stock of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_gc_duration_seconds',
      'nodejs_active_handles',
    ]) {
      expect(names).toContain(stock);
    }
    expect(names.filter((n) => /^herald_(process|nodejs)_/.test(n))).toEqual([]);
    expect(names).toContain('herald_connections');
    expect(names).toContain('herald_messages_in_total');
  });
});
