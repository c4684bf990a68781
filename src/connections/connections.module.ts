import { Module } from '@nestjs/common';
import { AccessLog } from './access-log.js';
import { BroadcastService } from '../streams/broadcast.service.js';
import { ConnectionLifecycle } from './connection-lifecycle.service.js';
import { ConnectionRegistry } from './connection.registry.js';
import { HeartbeatService } from './heartbeat.service.js';
import { StreamRecovery } from '../streams/stream-recovery.service.js';
import { UpgradeGate } from './upgrade.gate.js';

const services = [AccessLog, BroadcastService, ConnectionLifecycle, ConnectionRegistry, HeartbeatService, StreamRecovery, UpgradeGate];

@Module({ providers: services, exports: services })
export class RealtimeModule {}
