/** The email or password given for a new account is unusable; `field` names which. */
export class UserInputError extends Error {
  constructor(
    readonly field: 'email' | 'password',
    readonly problems: string[],
  ) {
    super(problems.join('; '));
  }
}
