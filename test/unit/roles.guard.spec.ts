import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RolesGuard } from '../../src/auth/roles.guard';
import { AppError } from '../../src/common/app-error';
import { Auth, Principal } from '../../src/common/decorators';
import type { Role } from '../../src/common/roles';

@Auth('admin')
@Controller()
class AdminOnly {
  @Get() inherited() {}
  @Get() @Auth('admin', 'moderator') widened() {}
}

@Controller()
class Open {
  @Get() anyone() {}
}

/** An HTTP execution context for `handler` of `controller`, as Nest builds it for a request. */
function contextFor(controller: object, handler: string, role?: Role): ExecutionContext {
  const user: Principal | undefined = role
    ? { userId: 'u', role, sessionId: 's', jti: 'j', exp: 0 }
    : undefined;
  const proto = (controller as { prototype: Record<string, () => void> }).prototype;
  return {
    getType: () => 'http',
    getClass: () => controller,
    getHandler: () => proto[handler],
    switchToHttp: () => ({ getRequest: () => ({ user }) }),
  } as unknown as ExecutionContext;
}

describe(RolesGuard.name, () => {
  const sut = new RolesGuard(new Reflector());

  it('lets any authenticated caller through a route without @Auth roles', () => {
    expect(sut.canActivate(contextFor(Open, 'anyone', 'user'))).toBe(true);
  });

  it('reads the roles from the class when the handler has none', () => {
    expect(sut.canActivate(contextFor(AdminOnly, 'inherited', 'admin'))).toBe(true);
    expect(() => sut.canActivate(contextFor(AdminOnly, 'inherited', 'moderator'))).toThrow(
      AppError,
    );
  });

  it("lets the handler's roles override the class's", () => {
    expect(sut.canActivate(contextFor(AdminOnly, 'widened', 'moderator'))).toBe(true);
    expect(() => sut.canActivate(contextFor(AdminOnly, 'widened', 'user'))).toThrow(
      expect.objectContaining({ status: 403, code: 'FORBIDDEN' }),
    );
  });

  it('refuses a role-restricted route when no principal was set', () => {
    expect(() => sut.canActivate(contextFor(AdminOnly, 'inherited'))).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
  });
});
