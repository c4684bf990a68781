import { ValidationPipe } from '@nestjs/common';
import { fieldErrors, HeraldWsException } from './envelope.js';

/** Validates a message's `data` against its DTO; failures become `invalid` with field errors. */
export const wsValidationPipe = new ValidationPipe({
  transform: true,
  whitelist: true,
  exceptionFactory: (errors) => new HeraldWsException('invalid', 'invalid data', fieldErrors(errors)),
});
