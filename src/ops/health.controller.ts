import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { BROKER, type Broker } from '../broker/broker.js';
import { DrainState } from '../connections/drain.state.js';

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(BROKER) private readonly broker: Broker,
    private readonly drain: DrainState,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: '200 while the process runs', security: [] })
  live() {
    return this.health.check([() => this.indicators.check('process').up()]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: '200 when the broker is reachable and the instance is not draining; else 503', security: [] })
  ready() {
    return this.health.check([
      () => {
        const check = this.indicators.check('broker');
        return this.broker.isReady() ? check.up() : check.down({ message: 'broker unreachable' });
      },
      () => {
        const check = this.indicators.check('instance');
        return this.drain.draining ? check.down({ message: 'draining' }) : check.up();
      },
    ]);
  }
}
