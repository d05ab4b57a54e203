import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AccessTokenVerifier } from '../../src/auth/access-token.verifier';
import { JwtAuthGuard } from '../../src/auth/jwt-auth.guard';
import { AppError } from '../../src/common/app-error';
import { Public } from '../../src/common/decorators';

@Controller()
class Routes {
  @Get() @Public() open() {}
  @Get() closed() {}
}

@Public()
@Controller()
class PublicController {
  @Get() health() {}
}

function contextFor(controller: object, handler: string, headers: Record<string, string> = {}) {
  const request = { headers, raw: {} };
  const proto = (controller as { prototype: Record<string, () => void> }).prototype;
  return {
    getType: () => 'http',
    getClass: () => controller,
    getHandler: () => proto[handler],
    getArgs: () => [request, {}],
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
}

/** The verifier is the guard's collaborator (tested end to end in the e2e suites). */
function verifierReturning(result: Awaited<ReturnType<AccessTokenVerifier['authenticate']>>) {
  const calls: string[] = [];
  const verifier = {
    authenticate: (token: string) => {
      calls.push(token);
      return Promise.resolve(result);
    },
  } as unknown as AccessTokenVerifier;
  return { verifier, calls };
}

describe(JwtAuthGuard.name, () => {
  const principal = { userId: 'u', role: 'user' as const, sessionId: 's', jti: 'j', exp: 1 };
  const found = { principal, user: { id: 'u' }, claims: {} } as unknown as Awaited<
    ReturnType<AccessTokenVerifier['authenticate']>
  >;

  it('opens @Public() routes, on the handler or the class, without looking for a token', async () => {
    const { verifier, calls } = verifierReturning(null);
    const sut = new JwtAuthGuard(new Reflector(), verifier);
    await expect(sut.canActivate(contextFor(Routes, 'open'))).resolves.toBe(true);
    await expect(sut.canActivate(contextFor(PublicController, 'health'))).resolves.toBe(true);
    expect(calls).toEqual([]);
  });

  it.each<Record<string, string>>([
    {},
    { authorization: 'Basic abc' },
    { authorization: 'Bearer' },
  ])('a missing or non-bearer Authorization header is 401 UNAUTHORIZED (%j)', async (headers) => {
    const sut = new JwtAuthGuard(new Reflector(), verifierReturning(found).verifier);
    await expect(sut.canActivate(contextFor(Routes, 'closed', headers))).rejects.toEqual(
      expect.objectContaining({ status: 401, code: 'UNAUTHORIZED' }),
    );
  });

  it('a token the verifier refuses is 401 UNAUTHORIZED', async () => {
    const sut = new JwtAuthGuard(new Reflector(), verifierReturning(null).verifier);
    await expect(
      sut.canActivate(contextFor(Routes, 'closed', { authorization: 'Bearer t' })),
    ).rejects.toBeInstanceOf(AppError);
  });

  it('sets the principal and the user for an accepted token; the scheme is case-insensitive', async () => {
    const { verifier, calls } = verifierReturning(found);
    const sut = new JwtAuthGuard(new Reflector(), verifier);
    const context = contextFor(Routes, 'closed', { authorization: 'bearer tok' });
    await expect(sut.canActivate(context)).resolves.toBe(true);
    expect(calls).toEqual(['tok']);
    const request = context.switchToHttp().getRequest<Record<string, unknown>>();
    expect(request.user).toBe(principal);
    expect(request.currentUser).toEqual({ id: 'u' });
  });
});
