import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, FieldError } from './app-error';
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

/** Global pipe: whitelist + forbidNonWhitelisted + transform, errors in the contract's shape. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => AppError.validation(flatten(errors)),
  });
}
