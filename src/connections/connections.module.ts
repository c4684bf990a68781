import { Module } from '@nestjs/common';
import { AccessLog } from './access-log.js';
import { ConnectionLifecycle } from './connection-lifecycle.service.js';
import { ConnectionRegistry } from './connection.registry.js';
import { DrainState } from './drain.state.js';
import { HeartbeatService } from './heartbeat.service.js';
import { UpgradeGate } from './upgrade.gate.js';

const services = [AccessLog, ConnectionLifecycle, ConnectionRegistry, DrainState, HeartbeatService, UpgradeGate];

/** The gateway-agnostic connection core: sockets, admission, heartbeat, lifecycle. */
@Module({ providers: services, exports: services })
export class ConnectionsModule {}
