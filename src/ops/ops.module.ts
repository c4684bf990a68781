import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RealtimeModule } from '../connections/connections.module.js';
import { DrainService } from './drain.service.js';
import { DrainState } from '../connections/drain.state.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from '../metrics/metrics.service.js';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), RealtimeModule],
  controllers: [HealthController, MetricsController],
  providers: [MetricsService, DrainState, DrainService],
  exports: [MetricsService, DrainState, DrainService],
})
export class OpsModule {}
