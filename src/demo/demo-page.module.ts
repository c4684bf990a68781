import { Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { PRESENCE, type PresenceManager } from '../presence/presence.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { clientBuilt, DEMO_ASSETS } from './demo-assets.js';
import { demoPageEnabled } from './demo-page.enabled.js';
import { registerDevTools } from './dev-tools.router.js';

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
    if (http.getType() !== 'fastify') return;
    const fastify = http.getInstance<FastifyInstance>();
    registerDevTools(fastify, this.config, this.notifications, this.presence);
    // wildcard off: one route per file found at start, so no catch-all route shadows Nest's 404
    const statics = { wildcard: false, index: 'index.html', serveDotFiles: false };
    void fastify.register(fastifyStatic, { ...statics, root: DEMO_ASSETS.page, prefix: '/' });
    void fastify.register(fastifyStatic, { ...statics, root: DEMO_ASSETS.client, prefix: '/client/', decorateReply: false });
    fastify.get('/client/herald-client.js', (_req, reply) => reply.sendFile('index.js', DEMO_ASSETS.client));
    if (!clientBuilt()) this.log.warn('client SDK not built (run `npm run build`): the demo page at / cannot load it');
    this.log.log('Demo page at / and /dev/token, /dev/notify, /dev/presence, /dev/channels/:channel/presence are on (development keys only)');
  }
}
