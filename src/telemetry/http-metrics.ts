import type { Metric, Registry } from 'prom-client';
import { getOrCreate } from '../shared/get-or-create.js';

/** One sample line as prom-client's own histograms give it to the registry. */
export interface HistogramValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export interface HistogramMetric {
  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramValue[] }>;
  reset(): void;
}

interface Series {
  route: string;
  method: string;
  status: number;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot is above the highest bound. */
  buckets: Float64Array;
}

/**
 * HTTP RED metrics, counted per request in plain numbers and handed to prom-client when it is
 * scraped. Two prom-client calls per request (label validation and hashing, buckets kept in a
 * dictionary keyed by bound) cost a cached read 10–20 % of its throughput (bench/RESULTS-proxy.md).
 * Series are keyed by route pattern, method and status: sets the router and Node's HTTP parser bound.
 */
export class HttpRequestMetrics {
  readonly #series = new Map<string, Map<string, Map<number, Series>>>();

  constructor(readonly bounds: readonly number[]) {}

  record(route: string, method: string, status: number, seconds: number): void {
    const byMethod = getOrCreate(this.#series, route, () => new Map<string, Map<number, Series>>());
    const byStatus = getOrCreate(byMethod, method, () => new Map<number, Series>());
    const series = getOrCreate(byStatus, status, () => ({
      route,
      method,
      status,
      count: 0,
      sum: 0,
      buckets: new Float64Array(this.bounds.length + 1),
    }));
    series.count += 1;
    series.sum += seconds;
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > this.bounds[bucket]!) bucket++;
    series.buckets[bucket]! += 1;
  }

  *series(): Generator<Readonly<Series>> {
    for (const byMethod of this.#series.values()) for (const byStatus of byMethod.values()) yield* byStatus.values();
  }

  reset(): void {
    this.#series.clear();
  }

  /**
   * The duration histogram by route pattern and method (statuses added up), as a metric the
   * registry renders like its own histograms.
   */
  registerHistogram(registry: Registry, name: string, help: string): HistogramMetric {
    const metric = {
      name,
      help,
      type: 'histogram' as const,
      aggregator: 'sum' as const,
      get: async () => ({
        name,
        help,
        type: 'histogram' as const,
        aggregator: 'sum' as const,
        values: this.#histogramValues(name),
      }),
      reset: () => this.reset(),
    };
    // The registry needs only name, type, get() and reset() of a metric; it renders values as given.
    registry.registerMetric(metric as unknown as Metric);
    return metric;
  }

  #histogramValues(name: string): HistogramValue[] {
    const values: HistogramValue[] = [];
    for (const [route, byMethod] of this.#series) {
      for (const [method, byStatus] of byMethod) {
        const labels = { route, method };
        let count = 0;
        let sum = 0;
        const buckets = new Float64Array(this.bounds.length + 1);
        for (const series of byStatus.values()) {
          count += series.count;
          sum += series.sum;
          series.buckets.forEach((n, i) => {
            buckets[i]! += n;
          });
        }
        let cumulative = 0;
        this.bounds.forEach((bound, i) => {
          cumulative += buckets[i]!;
          values.push({ metricName: `${name}_bucket`, labels: { le: bound, ...labels }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...labels }, value: count });
        values.push({ metricName: `${name}_sum`, labels, value: sum });
        values.push({ metricName: `${name}_count`, labels, value: count });
      }
    }
    return values;
  }
}
