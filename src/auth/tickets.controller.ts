import { Controller, Headers, HttpCode, Inject, Post, UnauthorizedException } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../protocol/error-body.dto.js';
import { bearerToken } from './api-key.guard.js';
import { JwtVerifier } from './jwt-verifier.service.js';
import { TICKETS, type TicketStore } from '../tickets/ticket.store.js';

class TicketResponse {
  @ApiProperty({ description: 'Opaque one-time ticket for ?ticket= on the WebSocket URL' })
  ticket: string;
  @ApiProperty({ description: 'Seconds the ticket stays valid, rounded up' })
  expiresIn: number;
}

@ApiTags('auth')
@Controller('auth')
export class TicketsController {
  constructor(
    private readonly verifier: JwtVerifier,
    @Inject(TICKETS) private readonly tickets: TicketStore,
  ) {}

  @Post('ticket')
  @HttpCode(201)
  @ApiBearerAuth('user-jwt')
  @ApiOperation({ summary: 'Exchange a user JWT for a one-time WebSocket ticket (PROTOCOL §2.1)' })
  @ApiCreatedResponse({ type: TicketResponse })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid user JWT', type: ErrorBody })
  @ApiServiceUnavailableResponse({ description: 'Ticket store (Redis) unreachable; no ticket was issued', type: ErrorBody })
  async issue(@Headers('authorization') authorization?: string): Promise<TicketResponse> {
    const token = bearerToken(authorization);
    let sub: string;
    try {
      sub = (await this.verifier.verify(token)).sub;
    } catch {
      throw new UnauthorizedException('missing or invalid user JWT');
    }
    return this.tickets.issue(sub);
  }
}
