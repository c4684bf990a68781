import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { fieldErrors } from './envelope.js';

/**
 * Validates REST bodies: 400 with field errors (PROTOCOL §6). Applied per
 * controller, not globally: a global pipe also runs on gateway parameters,
 * where its BadRequestException would reach clients as `internal`.
 */
export const httpValidationPipe = new ValidationPipe({
  transform: true,
  exceptionFactory: (errors) =>
    new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'validation failed', errors: fieldErrors(errors) }),
});
