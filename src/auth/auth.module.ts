import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { ApiKeyGuard } from './api-key.guard.js';
import { JwtVerifier } from './jwt-verifier.service.js';
import { TicketsController } from './tickets.controller.js';

@Module({
  imports: [JwtModule.register({})],
  controllers: [TicketsController],
  providers: [JwtVerifier, ApiKeyGuard],
  exports: [JwtVerifier, ApiKeyGuard],
})
export class AuthModule {}
