import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { BroadcastService } from './broadcast.service.js';
import { StreamDispatcher } from './stream-dispatcher.service.js';
import { StreamSubscriptions } from './stream-subscriptions.service.js';

/** Streams: the publisher (BroadcastService), the dispatcher, and what each connection holds. */
@Module({
  imports: [ConnectionsModule],
  providers: [BroadcastService, StreamDispatcher, StreamSubscriptions],
  exports: [BroadcastService, StreamSubscriptions],
})
export class StreamsModule {}
