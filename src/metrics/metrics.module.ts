import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';

/** Herald's Prometheus registry, for every layer (global: every layer counts something). */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
