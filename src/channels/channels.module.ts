import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { StreamsModule } from '../streams/streams.module.js';
import { ChannelsController } from './channels.controller.js';
import { ChannelsService } from './channels.service.js';

/** Channels (PROTOCOL §10): who may subscribe, the limit, and their REST reads. */
@Module({
  imports: [AuthModule, StreamsModule],
  controllers: [ChannelsController],
  providers: [ChannelsService],
  exports: [ChannelsService],
})
export class ChannelsModule {}
