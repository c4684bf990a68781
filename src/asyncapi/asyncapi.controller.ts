import { Controller, Get, Headers } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { asyncApiDocument } from './asyncapi.document.js';

/** GET /asyncapi.json: the WebSocket contract (the REST one is /docs-json). Public, like /docs. */
@ApiTags('docs')
@Controller()
export class AsyncApiController {
  @Get('asyncapi.json')
  @ApiOperation({ summary: 'The WebSocket contract of /demo and /notification, as an AsyncAPI 3 document', security: [] })
  @ApiOkResponse({ description: 'AsyncAPI 3.0 JSON', schema: { type: 'object', required: ['asyncapi'], properties: { asyncapi: { type: 'string', example: '3.0.0' } } } })
  document(@Headers('host') host?: string): Record<string, unknown> {
    return asyncApiDocument(host && /^[\w.\-:[\]]+$/.test(host) ? host : undefined);
  }
}
