import cors from '@fastify/cors';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { AppConfig } from './platform/config/app-config';
import { HttpErrorFilter } from './platform/errors/http-error.filter';
import { PinoLoggerService, createLogger } from './platform/logging/app-logger';
import { registerRequestLogging } from './platform/logging/request-logging';
import { Metrics } from './platform/metrics/metrics.service';
import { timeHttpRequests } from './platform/metrics/request-timing';
import { configureHttp, createFastifyAdapter } from './platform/http/http-setup';
import { registerOpenApi } from './platform/http/openapi';
import { registerSecurityHeaders } from './platform/http/security-headers';
import { TOKEN_SECURITY_SCHEMES } from './identity/token-auth';

/** Builds the whole application (not yet listening), as `main.ts` and the e2e suites use it. */
export async function createApp(
  config: AppConfig,
  logger: Logger = createLogger(config),
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createFastifyAdapter(config),
    { bodyParser: false, logger: new PinoLoggerService(logger) },
  );
  const fastify = app.getHttpAdapter().getInstance();
  if (config.LOG_REQUESTS !== 'off')
    await registerRequestLogging(fastify, logger, config.LOG_REQUESTS === 'errors');
  await registerBrowserPolicy(app, config);
  const routes = configureHttp(fastify);
  timeHttpRequests(fastify, app.get(Metrics));
  app.useGlobalFilters(new HttpErrorFilter((url) => routes.allowedMethods(url)));
  // Before `init()`, where the REST routes are registered: the document is built as they are.
  await registerOpenApi(app, {
    title: 'Flash-sale ordering API',
    description:
      'The 2015 Eleme hackathon contract. Send the token from /login as `?access_token=` or the `Access-Token` header.',
    securitySchemes: TOKEN_SECURITY_SCHEMES,
  });
  // After a clean shutdown exit 0 (Nest would otherwise re-raise the signal and die of it, which
  // supervisors and `docker stop` report as a failure); a failed shutdown exits 1.
  app.enableShutdownHooks([], { useProcessExit: true });
  return app;
}

/**
 * Helmet's headers on every response (see security-headers.ts), and CORS only for the origins
 * CORS_ORIGINS names: none by default, so browsers keep other sites' pages from calling the API.
 */
async function registerBrowserPolicy(
  app: NestFastifyApplication,
  config: AppConfig,
): Promise<void> {
  registerSecurityHeaders(app.getHttpAdapter().getInstance());
  const origins = config.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length > 0)
    await app.register(cors, { origin: origins.includes('*') ? '*' : origins });
}
