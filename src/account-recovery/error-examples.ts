import type { ErrorBody } from '../common/app-error';

const example = (summary: string, value: ErrorBody) => ({ summary, value });

/** Swagger examples of the error bodies these routes answer. Documentation only. */
export const ERROR_EXAMPLES = {
  invalidToken: example('Unknown, expired or used token', {
    error: {
      code: 'INVALID_TOKEN',
      message: 'The link is invalid, has expired or was already used',
    },
  }),
  weakPassword: example('Password policy (the token stays usable)', {
    error: {
      code: 'VALIDATION_ERROR',
      message: 'Validation failed',
      details: [{ field: 'new_password', message: 'Password must contain at least one number' }],
    },
  }),
  emailInvalid: example('Not an email', {
    error: {
      code: 'VALIDATION_ERROR',
      message: 'Validation failed',
      details: [{ field: 'email', message: 'email must be a valid email address' }],
    },
  }),
  newEmailInvalid: example('Not an email', {
    error: {
      code: 'VALIDATION_ERROR',
      message: 'Validation failed',
      details: [{ field: 'new_email', message: 'new_email must be a valid email address' }],
    },
  }),
  emailTaken: example('Address already registered', {
    error: { code: 'CONFLICT', message: 'Email already registered' },
  }),
  alreadyVerified: example('Already verified', {
    error: { code: 'CONFLICT', message: 'Email already verified' },
  }),
  invalidCredentials: example('Wrong password', {
    error: { code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' },
  }),
};
