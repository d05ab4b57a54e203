import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { AUDITED_ROUTE } from '../../src/audit/audit.decorator';
import { AuditInterceptor } from '../../src/audit/audit.interceptor';
import { createTestApp, TestApp } from '../utils/test-app';

interface Route {
  name: string;
  method: RequestMethod;
  audited: boolean;
  interceptors: unknown[];
}

function routesOf(t: TestApp): Route[] {
  const routes: Route[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as { prototype: Record<string, unknown> };
      const prototype = controller.prototype;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller));
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name] as object;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (typeof handler !== 'function' || method === undefined) continue;
        routes.push({
          name: `${RequestMethod[method]} ${base}/${String(Reflect.getMetadata(PATH_METADATA, handler))}`,
          method,
          audited: Reflect.getMetadata(AUDITED_ROUTE, handler) !== undefined,
          interceptors: (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[],
        });
      }
    }
  }
  return routes;
}

/**
 * Any interceptor on a route makes Nest run an rxjs chain around each of its requests
 * (~18 % of `GET /api/users/me`'s CPU), so the read routes must have none: not ours, and not
 * the no-op one nestjs-cls's ClsModule.forRoot registers globally (DatabaseModule avoids it).
 */
describe('request pipeline: interceptors only where audit rows are written', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('registers no global interceptor, and only our three global guards', () => {
    // The application has no public getter for them; ApplicationConfig is where Nest keeps them.
    const { config } = t.app as unknown as {
      config: { getGlobalInterceptors(): unknown[]; getGlobalGuards(): object[] };
    };
    expect(config.getGlobalInterceptors()).toEqual([]);
    expect(config.getGlobalGuards().map((guard) => guard.constructor.name)).toEqual([
      'RateLimitGuard',
      'JwtAuthGuard',
      'RolesGuard',
    ]);
  });

  it('puts the audit interceptor on every state-changing or @Audit route, and on no other', () => {
    const routes = routesOf(t);
    const reads = routes.filter(
      (r) => (r.method === RequestMethod.GET || r.method === RequestMethod.HEAD) && !r.audited,
    );
    const writes = routes.filter((r) => !reads.includes(r));
    expect(reads.map((r) => r.name)).toContain('GET api/users/me');
    expect(writes.map((r) => r.name)).toEqual(
      expect.arrayContaining(['POST api/auth/register', 'POST api/auth/refresh']),
    );
    for (const route of reads) expect([route.name, route.interceptors]).toEqual([route.name, []]);
    for (const route of writes) {
      const audit = route.interceptors.filter((i) => i === AuditInterceptor);
      expect([route.name, audit.length]).toEqual([route.name, 1]);
    }
  });
});
