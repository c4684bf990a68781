import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RealtimeModule } from '../connections/connections.module.js';
import { DemoGateway } from './demo.gateway.js';
import { GatewaySession } from './gateway-session.js';
import { NotificationGateway } from './notification.gateway.js';

@Module({
  imports: [AuthModule, RealtimeModule],
  providers: [GatewaySession, DemoGateway, NotificationGateway],
})
export class GatewaysModule {}
