import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConnectionsModule } from '../connections/connections.module.js';
import { DrainService } from './drain.service.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';

/** Operations: health, metrics endpoint, graceful drain. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ConnectionsModule],
  controllers: [HealthController, MetricsController],
  providers: [DrainService],
  exports: [DrainService],
})
export class OpsModule {}
