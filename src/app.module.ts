import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from './logging/logger.module.js';
import { AsyncApiModule } from './asyncapi/asyncapi.module.js';
import { AuthModule } from './auth/auth.module.js';
import { StoresModule } from './stores/stores.module.js';
import { ChannelsModule } from './channels/channels.module.js';
import { ConnectionsModule } from './connections/connections.module.js';
import { HeraldConfigModule } from './config/config.module.js';
import { HERALD_CONFIG, type HeraldConfig } from './config/herald-config.js';
import { DemoPageModule } from './demo/demo-page.module.js';
import { GatewaysModule } from './gateways/gateways.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OpsModule } from './ops/ops.module.js';
import { StreamsModule } from './streams/streams.module.js';
import { loggerOptions } from './logging/logger.options.js';

export interface AppOptions {
  /** Environment variables that win over process.env (tests). */
  env?: Record<string, string>;
  /** Where JSON log lines go (default: stdout). */
  logStream?: NodeJS.WritableStream;
}

@Module({})
export class AppModule {
  /** Awaits the configuration first: a bad one rejects here, before Nest starts (see HeraldConfigModule). */
  static async forRoot(options: AppOptions = {}): Promise<DynamicModule> {
    return {
      module: AppModule,
      imports: [
        await HeraldConfigModule.forRoot(options.env),
        LoggerModule.forRootAsync({
          inject: [HERALD_CONFIG],
          useFactory: (config: HeraldConfig) => loggerOptions(config, options.logStream),
        }),
        MetricsModule,
        OpsModule,
        StoresModule.forRoot(),
        AuthModule,
        ConnectionsModule,
        StreamsModule,
        ChannelsModule,
        GatewaysModule,
        NotificationsModule,
        AsyncApiModule,
        // mounts nothing unless Herald runs on its development keys (demoPageEnabled)
        DemoPageModule,
      ],
    };
  }
}
