import { ArgumentMetadata, BadRequestException, PipeTransform, ValidationPipe } from '@nestjs/common';
import { fieldErrors } from './envelope.js';

/**
 * A DTO's plain check for its common valid shape: returns the DTO when the
 * value certainly passes the DTO's class-validator rules, else undefined (the
 * value then gets class-validator's full answer, field errors and all).
 */
export type FastAccept = (value: unknown) => object | undefined;

const fastPaths = new Map<unknown, FastAccept>();

/** Registers `accept` for DTO class `dto` (next to the DTO, which owns its rules). */
export function registerFastAccept(dto: abstract new () => object, accept: FastAccept): void {
  fastPaths.set(dto, accept);
}

const fullValidation = new ValidationPipe({
  transform: true,
  exceptionFactory: (errors) =>
    new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'validation failed', errors: fieldErrors(errors) }),
});

/**
 * Validates REST bodies: 400 with field errors (PROTOCOL §6). A body a DTO's
 * registered fast check accepts skips class-transformer and class-validator
 * (whose metadata walk costs more than the rest of a request); every other
 * value, and every invalid one, goes through them. Applied per controller, not
 * globally: a global pipe also runs on gateway parameters, where its
 * BadRequestException would reach clients as `internal`.
 */
class HttpValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body') {
      const accepted = fastPaths.get(metadata.metatype)?.(value);
      if (accepted) return accepted;
    }
    return fullValidation.transform(value, metadata);
  }
}

export const httpValidationPipe = new HttpValidationPipe();
