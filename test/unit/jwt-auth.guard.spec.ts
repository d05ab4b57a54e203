import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
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

describe(JwtAuthGuard.name, () => {
  const sut = new JwtAuthGuard(new Reflector());

  it('opens @Public() routes, on the handler or the class, without looking for a token', async () => {
    await expect(Promise.resolve(sut.canActivate(contextFor(Routes, 'open')))).resolves.toBe(true);
    await expect(
      Promise.resolve(sut.canActivate(contextFor(PublicController, 'health'))),
    ).resolves.toBe(true);
  });

  it('turns a missing or rejected token (user === false) into 401 UNAUTHORIZED', () => {
    expect(() => sut.handleRequest(null, false)).toThrow(
      expect.objectContaining({ status: 401, code: 'UNAUTHORIZED' }),
    );
  });

  it("passes the strategy's own errors through unchanged", () => {
    const revoked = AppError.unauthorized('Token revoked');
    expect(() => sut.handleRequest(revoked, false)).toThrow(revoked);
  });

  it('returns the principal the strategy validated', () => {
    const principal = { userId: 'u', role: 'user', sessionId: 's', jti: 'j', exp: 1 };
    expect(sut.handleRequest(null, principal)).toBe(principal);
  });
});
