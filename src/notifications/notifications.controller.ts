import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards, UsePipes } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiSecurity, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { PRESENCE, type PresenceManager } from '../broker/broker.js';
import { ErrorBody } from '../protocol/error-body.dto.js';
import { httpValidationPipe } from '../protocol/http-validation.pipe.js';
import { AcceptedResponse, BroadcastNotificationDto, PresenceResponse, UserNotificationDto } from './notification.dto.js';
import { NotificationsService } from './notifications.service.js';

@ApiTags('notifications')
@ApiSecurity('api-key')
@ApiSecurity('api-key-bearer')
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: ErrorBody })
@UseGuards(ApiKeyGuard)
@UsePipes(httpValidationPipe)
@Controller()
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    @Inject(PRESENCE) private readonly presence: PresenceManager,
  ) {}

  @Post('notifications')
  @HttpCode(202)
  @ApiOperation({ summary: 'Notify users on /notification; kept in each user\'s history for recovery' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiBadRequestResponse({ description: 'Body is not JSON or fails validation; field errors listed', type: ErrorBody })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES', type: ErrorBody })
  @ApiServiceUnavailableResponse({ description: 'Broker unreachable; nothing was delivered', type: ErrorBody })
  async notifyUsers(@Body() dto: UserNotificationDto): Promise<AcceptedResponse> {
    return { id: await this.notifications.notifyUsers(dto) };
  }

  @Post('notifications/broadcast')
  @HttpCode(202)
  @ApiOperation({ summary: 'Notify every /notification connection; kept in the broadcast history' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiBadRequestResponse({ description: 'Body is not JSON or fails validation; field errors listed', type: ErrorBody })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES', type: ErrorBody })
  @ApiServiceUnavailableResponse({ description: 'Broker unreachable; nothing was delivered', type: ErrorBody })
  async notifyAll(@Body() dto: BroadcastNotificationDto): Promise<AcceptedResponse> {
    return { id: await this.notifications.notifyAll(dto) };
  }

  @Get('presence/:userId')
  @ApiOperation({ summary: 'Whether a user has authenticated connections, counted across the cluster' })
  @ApiOkResponse({ type: PresenceResponse })
  @ApiServiceUnavailableResponse({ description: 'Presence store (Redis) unreachable', type: ErrorBody })
  async presenceOf(@Param('userId') userId: string): Promise<PresenceResponse> {
    const connections = await this.presence.count(userId);
    return { userId, online: connections > 0, connections };
  }
}
