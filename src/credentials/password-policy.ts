import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { MESSAGE_SEPARATOR } from '../common/validators';
import { isCommonPassword } from './common-passwords';

export const PASSWORD_MAX_BYTES = 72;

/** The guide's five rules, bcrypt's 72-byte limit and the common-password list. */
export function passwordPolicyErrors(password: string): string[] {
  const errors: string[] = [];
  if (password.length < 8) errors.push('Password must be at least 8 characters long');
  if (!/[A-Z]/.test(password)) errors.push('Password must contain at least one uppercase letter');
  if (!/[a-z]/.test(password)) errors.push('Password must contain at least one lowercase letter');
  if (!/\d/.test(password)) errors.push('Password must contain at least one number');
  if (!/[@$!%*?&]/.test(password))
    errors.push('Password must contain at least one special character (@$!%*?&)');
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES)
    errors.push(`Password must be at most ${PASSWORD_MAX_BYTES} bytes`);
  if (isCommonPassword(password)) errors.push('Password is too common, choose another');
  return errors;
}

/** Every failed password rule becomes its own entry in `details` (see `flatten`). */
export function IsStrongPassword(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isStrongPassword',
      target: object.constructor,
      propertyName,
      options: {
        ...options,
        message: (args: ValidationArguments) =>
          passwordPolicyErrors(String(args.value)).join(MESSAGE_SEPARATOR),
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && passwordPolicyErrors(value).length === 0,
      },
    });
}
