import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ChannelsModule } from '../channels/channels.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { StreamsModule } from '../streams/streams.module.js';
import { DemoGateway } from './demo.gateway.js';
import { GatewaySession } from './gateway-session.js';
import { NotificationGateway } from './notification.gateway.js';
import { WsJwtGuard } from './ws-jwt.guard.js';

@Module({
  imports: [AuthModule, ConnectionsModule, StreamsModule, ChannelsModule],
  providers: [GatewaySession, WsJwtGuard, DemoGateway, NotificationGateway],
})
export class GatewaysModule {}
