import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AppError } from '../common/app-error';
import { IS_PUBLIC } from '../common/decorators';

/** Global guard: every route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    return isPublic ? true : super.canActivate(context);
  }

  /** Token failures arrive as `user === false`; errors thrown by the strategy pass through. */
  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err as Error;
    if (!user) throw AppError.unauthorized();
    return user;
  }
}
