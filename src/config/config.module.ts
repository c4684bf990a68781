import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { HERALD_CONFIG, type HeraldConfig } from './herald-config.js';
import { validateEnv } from './env.validation.js';

/**
 * Loads and validates the environment once. `overrides` win over process.env
 * (tests use them); the validated config lives under the `herald` key so that
 * ConfigModule writes nothing back into process.env.
 */
@Global()
@Module({})
export class HeraldConfigModule {
  /**
   * Async on purpose: the caller awaits it before Nest starts, so a bad variable rejects there (a
   * ConfigError, a friendly exit) rather than inside Nest's scanner (a logged stack, an unhandled rejection).
   */
  static async forRoot(overrides: Record<string, string> = {}): Promise<DynamicModule> {
    return {
      module: HeraldConfigModule,
      imports: [
        await ConfigModule.forRoot({
          ignoreEnvFile: Object.keys(overrides).length > 0,
          validate: (env) => ({ herald: validateEnv({ ...env, ...overrides }) }),
        }),
      ],
      providers: [
        {
          provide: HERALD_CONFIG,
          inject: [ConfigService],
          useFactory: (config: ConfigService): HeraldConfig => config.getOrThrow<HeraldConfig>('herald'),
        },
      ],
      exports: [HERALD_CONFIG],
    };
  }
}
