/**
 * Prometheus text exposition (format 0.0.4), hand-written: request counts by
 * route and status, a request latency histogram by route, faces processed, live
 * frames, and gauges read at scrape time (gallery size, queue).
 */

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  readonly #requests = new Map<string, number>();
  readonly #latency = new Map<string, Histogram>();
  readonly #counters = new Map<string, number>();

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method}\u0000${route}\u0000${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    const hk = `${method}\u0000${route}`;
    let h = this.#latency.get(hk);
    if (!h) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.#latency.set(hk, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** Adds to a plain counter, e.g. facerec_faces_processed_total. */
  inc(name: string, by = 1): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + by);
  }

  counter(name: string): number {
    return this.#counters.get(name) ?? 0;
  }

  render(gauges: Record<string, { help: string; value: number }>): string {
    const lines: string[] = [];
    lines.push('# HELP facerec_http_requests_total HTTP requests by method, route and status.', '# TYPE facerec_http_requests_total counter');
    for (const [key, n] of [...this.#requests].sort()) {
      const [method, route, status] = key.split('\u0000');
      lines.push(`facerec_http_requests_total{method="${label(method!)}",route="${label(route!)}",status="${status}"} ${n}`);
    }
    lines.push('# HELP facerec_http_request_duration_seconds HTTP request latency by method and route.', '# TYPE facerec_http_request_duration_seconds histogram');
    for (const [key, h] of [...this.#latency].sort()) {
      const [method, route] = key.split('\u0000');
      const l = `method="${label(method!)}",route="${label(route!)}"`;
      BUCKETS.forEach((b, i) => lines.push(`facerec_http_request_duration_seconds_bucket{${l},le="${b}"} ${h.counts[i]}`));
      lines.push(`facerec_http_request_duration_seconds_bucket{${l},le="+Inf"} ${h.count}`);
      lines.push(`facerec_http_request_duration_seconds_sum{${l}} ${h.sum}`);
      lines.push(`facerec_http_request_duration_seconds_count{${l}} ${h.count}`);
    }
    const counterHelp: Record<string, string> = {
      facerec_faces_processed_total: 'Faces detected in request photos and live frames.',
      facerec_live_frames_total: 'Live frames received over WebSocket.',
      facerec_live_frames_dropped_total: 'Live frames dropped because a newer one arrived while busy.',
    };
    for (const name of Object.keys(counterHelp)) {
      lines.push(`# HELP ${name} ${counterHelp[name]}`, `# TYPE ${name} counter`, `${name} ${this.counter(name)}`);
    }
    for (const [name, g] of Object.entries(gauges)) lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.value}`);
    return `${lines.join('\n')}\n`;
  }
}
