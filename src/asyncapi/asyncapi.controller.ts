import { Controller, Get, Headers } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { asyncApiDocument } from './asyncapi.document.js';

/** GET /asyncapi.json: the WebSocket contract (the REST one is /docs-json). Public, like /docs. */
@ApiExcludeController()
@Controller()
export class AsyncApiController {
  @Get('asyncapi.json')
  document(@Headers('host') host?: string): Record<string, unknown> {
    return asyncApiDocument(host && /^[\w.\-:[\]]+$/.test(host) ? host : undefined);
  }
}
