import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { ApiKeyGuard } from './api-key.guard.js';
import { JwtVerifier } from './jwt-verifier.service.js';
import { TicketsController } from './tickets.controller.js';
import { WsJwtGuard } from '../gateways/ws-jwt.guard.js';

@Module({
  imports: [JwtModule.register({})],
  controllers: [TicketsController],
  providers: [JwtVerifier, ApiKeyGuard, WsJwtGuard],
  exports: [JwtVerifier, ApiKeyGuard, WsJwtGuard],
})
export class AuthModule {}
