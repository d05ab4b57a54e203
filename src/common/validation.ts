import {
  ArgumentMetadata,
  type PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { UUID_PATTERN } from './api-schema';
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

/** With the `u` flag a surrogate pair is one code point: only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Path of the first string (key or value) that is not well-formed UTF-16: a lone surrogate
 * (`"\ud800"` is valid JSON) throws inside validators and is stored as U+FFFD.
 */
function findIllFormed(value: unknown, path: string): string | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    if (LONE_SURROGATE.test(key)) return childPath;
    const found = findIllFormed(child, childPath);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Input the contract refuses before validation, after the guards (so the rate limiter counts
 * it): malformed JSON; JSON nested deeper than class-transformer's recursion survives (a 500);
 * NUL characters, which PostgreSQL cannot store; lone surrogates (ill-formed UTF-16).
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
    const illFormed = metadata.type === 'custom' ? null : findIllFormed(value, '');
    if (illFormed !== null) {
      const field = illFormed || metadata.type;
      throw AppError.validation([
        { field, message: `${field} must be well-formed Unicode (no lone surrogates)` },
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

const ANY_UUID = new RegExp(UUID_PATTERN);

/**
 * `:id` route parameters: any UUID in 8-4-4-4-12 hex form (UUID_PARAM documents it; the
 * database's `uuid` type stores every one); anything else is VALIDATION_ERROR naming `id`.
 */
export const uuidParam: PipeTransform<unknown, string> = {
  transform(value: unknown) {
    if (typeof value === 'string' && ANY_UUID.test(value)) return value.toLowerCase();
    throw AppError.validation([{ field: 'id', message: 'id must be a UUID' }]);
  },
};
