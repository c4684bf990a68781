import { Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import express from 'express';
import { PRESENCE, type PresenceManager } from '../broker/broker.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { clientBuilt, DEMO_ASSETS } from './demo-assets.js';
import { demoPageEnabled } from './demo-page.enabled.js';
import { devToolsRouter } from './dev-tools.router.js';

/**
 * The demo page at `/`, the SDK's ESM build at `/client/` and the dev
 * helpers under `/dev/`. Mounted at init, after the API routes and before
 * Nest's 404 handler, and only when demoPageEnabled(config): otherwise none of
 * these paths exists (404).
 */
@Module({
  imports: [NotificationsModule],
})
export class DemoPageModule implements OnModuleInit {
  private readonly log = new Logger('DemoPage');

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly notifications: NotificationsService,
    @Inject(PRESENCE) private readonly presence: PresenceManager,
  ) {}

  onModuleInit(): void {
    if (!demoPageEnabled(this.config)) return;
    const http = this.adapterHost.httpAdapter;
    if (http.getType() !== 'express') return;
    const statics = { index: 'index.html', dotfiles: 'ignore' as const, fallthrough: true };
    http.use(devToolsRouter(this.config, this.notifications, this.presence));
    http.use('/client/herald-client.js', (req: express.Request, res: express.Response, next: () => void) =>
      req.method === 'GET' || req.method === 'HEAD' ? res.sendFile('index.js', { root: DEMO_ASSETS.client }, (err) => err && next()) : next(),
    );
    http.use('/client', express.static(DEMO_ASSETS.client, statics));
    http.use(express.static(DEMO_ASSETS.page, statics));
    if (!clientBuilt()) this.log.warn('client SDK not built (run `npm run build`): the demo page at / cannot load it');
    this.log.log('Demo page at / and /dev/token, /dev/notify, /dev/presence, /dev/channels are on (development keys only)');
  }
}
