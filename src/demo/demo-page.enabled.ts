import type { HeraldConfig } from '../config/herald-config.js';

/**
 * The demo page and its token/notify helpers exist only on an instance that
 * runs on Herald's public development keys: anyone can mint tokens there
 * anyway. Never with an operator's keys, never with NODE_ENV=production.
 */
export function demoPageEnabled(config: Pick<HeraldConfig, 'nodeEnv' | 'devKeys'>): boolean {
  return config.nodeEnv !== 'production' && config.devKeys.jwt && config.devKeys.apiKeys;
}
