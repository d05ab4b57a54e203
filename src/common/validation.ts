import { ArgumentMetadata, ParseUUIDPipe, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, FieldError } from './app-error';
import { MalformedJsonBody, malformedJson } from './json-body';
import { findNul } from './nul-characters';
import { MESSAGE_SEPARATOR } from './validators';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = (parent ? `${parent}.${error.property}` : error.property) || 'body';
    const own = Object.values(error.constraints ?? {})
      .flatMap((message) => message.split(MESSAGE_SEPARATOR))
      .map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** No request of the contract nests deeper than this; class-transformer recurses per level. */
export const MAX_INPUT_DEPTH = 32;

/** Iterative, so that the check itself cannot overflow the stack. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Input the contract refuses before validation, after the guards (so the rate limiter counts
 * it): malformed JSON; JSON nested deeper than class-transformer's recursion survives (a 500);
 * NUL characters, which PostgreSQL cannot store.
 */
class ContractValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata) {
    if (value instanceof MalformedJsonBody) throw malformedJson();
    if (nestsDeeperThan(value, MAX_INPUT_DEPTH)) {
      const field = metadata.type === 'custom' ? 'body' : metadata.type;
      throw AppError.validation([
        { field, message: `nested deeper than ${MAX_INPUT_DEPTH} levels` },
      ]);
    }
    const nulField = metadata.type === 'body' || metadata.type === 'query' ? findNul(value) : null;
    if (nulField) {
      throw AppError.validation([
        { field: nulField, message: `${nulField} must not contain NUL characters` },
      ]);
    }
    return super.transform(value, metadata);
  }
}

/** Global pipe: whitelist + forbidNonWhitelisted + transform, errors in the contract's shape. */
export function createValidationPipe(): ValidationPipe {
  return new ContractValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => AppError.validation(flatten(errors)),
  });
}

/** `:id` route parameters: a malformed id is the contract's VALIDATION_ERROR naming `id`. */
export const uuidParam = new ParseUUIDPipe({
  exceptionFactory: () => AppError.validation([{ field: 'id', message: 'id must be a UUID' }]),
});
