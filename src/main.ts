import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { AppConfig, assertMetricsProtected, ConfigError, loadConfig } from './config/app-config';
import { loadDotEnv } from './config/dotenv';
import { shutdownGracefully } from './shutdown';

/** After the drain delay: how long in-flight requests get before the process exits anyway. */
const IN_FLIGHT_DEADLINE_MS = 9000;

async function bootstrap() {
  loadDotEnv();
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
    assertMetricsProtected(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
  const logger = new Logger('Bootstrap');
  if (config.jwt.secretGenerated) {
    logger.warn('JWT_SECRET_KEY is not set: using a random key; tokens die with this process');
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  logger.log(
    `Perfect21 Auth API listening on http://${config.host}:${config.port} (docs at /docs)`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(
      `${signal} received: unready, serving ${config.shutdownDrainSeconds} s more, then closing`,
    );
    setTimeout(
      () => process.exit(1),
      config.shutdownDrainSeconds * 1000 + IN_FLIGHT_DEADLINE_MS,
    ).unref();
    shutdownGracefully(app, config.shutdownDrainSeconds)
      .then(() => process.exit(0))
      .catch((err: Error) => {
        logger.error(`shutdown failed: ${err.message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

bootstrap().catch((err: Error) => {
  console.error(`start-up failed: ${err.message}`);
  process.exit(1);
});
