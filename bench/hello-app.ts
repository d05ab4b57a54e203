import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Baseline `hello`: one bare NestJS route on the service's HTTP adapter (Fastify, same
 * adapter options), without helmet, logging, guards or I/O: the framework's own cost.
 */
@Controller()
class HelloController {
  @Get('hello')
  hello() {
    return { status: 'ok' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

async function main() {
  const adapter = new FastifyAdapter({
    trustProxy: false,
    bodyLimit: 102400,
    maxParamLength: 200,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(HelloModule, adapter, {
    logger: ['error', 'warn'],
  });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
