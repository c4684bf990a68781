import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Herald's Prometheus metrics, on a registry of its own (one per app, so tests can run several). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly connections = new Gauge({
    name: 'herald_connections',
    help: 'Open WebSocket connections by gateway',
    labelNames: ['gateway'] as const,
    registers: [this.registry],
  });
  readonly upgradesRefused = new Counter({
    name: 'herald_upgrades_refused_total',
    help: 'WebSocket upgrades answered with an HTTP error, by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly closes = new Counter({
    name: 'herald_connection_closes_total',
    help: 'Closed connections by gateway and close code',
    labelNames: ['gateway', 'code'] as const,
    registers: [this.registry],
  });
  readonly messagesIn = new Counter({
    name: 'herald_messages_in_total',
    help: 'Frames received by gateway and type',
    labelNames: ['gateway', 'type'] as const,
    registers: [this.registry],
  });
  readonly messagesOut = new Counter({
    name: 'herald_messages_out_total',
    help: 'Frames sent by gateway and type',
    labelNames: ['gateway', 'type'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'herald_errors_total',
    help: 'Error frames sent, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly notificationsPublished = new Counter({
    name: 'herald_notifications_published_total',
    help: 'Notifications accepted over REST, by target',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });
  readonly kills = new Counter({
    name: 'herald_connections_killed_total',
    help: 'Connections cut by Herald, by reason (slow_consumer, rate_limit, heartbeat)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly streamResyncs = new Counter({
    name: 'herald_stream_resyncs_total',
    help: 'Subscriptions that missed publications: recovered from history, or closed with 4010 for the client to recover',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly fanoutSeconds = new Histogram({
    name: 'herald_fanout_duration_seconds',
    help: 'Time to deliver one publication to this instance\'s sockets',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  readonly brokerPublishSeconds = new Histogram({
    name: 'herald_broker_publish_duration_seconds',
    help: 'Broker publish latency',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  constructor() {
    // prom-client's defaults under their stock names (process_*, nodejs_*), which Node dashboards expect
    collectDefaultMetrics({ register: this.registry });
    // ...less its three gauges named `*_total`, which only counters may be (promtool check metrics);
    // nodejs_active_handles / _requests / _resources carry the same counts, by type
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }
  }

  /** A transport registers each gateway it serves, so that its series read 0 before the first connection. */
  registerGateway(gateway: string): void {
    this.connections.set({ gateway }, 0);
  }
}
