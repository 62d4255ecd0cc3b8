import { ArgumentsHost, Catch, ExceptionFilter, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './domain-error';
import { ErrorCode } from './error-codes';
import { toHttpError } from './http-error.mapper';

export const JSON_UTF8 = 'application/json; charset=utf-8';

/** The REST transport's single error filter. GraphQL errors pass through to their own formatter. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  /** @param allowedMethods tells a wrong method on a known path (405) from an unknown path (404). */
  constructor(private readonly allowedMethods: (url: string) => string[]) {}

  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType() !== 'http') return exception;
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    // Only the router throws Nest's NotFoundException here; services throw DomainErrors.
    if (exception instanceof NotFoundException) {
      const allowed = this.allowedMethods(http.getRequest<FastifyRequest>().url);
      if (allowed.length > 0) {
        void reply.header('allow', allowed.join(', '));
        exception = DomainError.of(ErrorCode.METHOD_NOT_ALLOWED);
      }
    }
    sendHttpError(reply, exception, this.logger);
    return undefined;
  }
}

export function sendHttpError(reply: FastifyReply, exception: unknown, logger: Logger): void {
  const { status, body, unexpected } = toHttpError(exception);
  if (unexpected)
    logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
  if (reply.sent) return;
  if (exception instanceof DomainError && exception.retryAfterMs !== undefined)
    void reply.header('retry-after', String(Math.ceil(exception.retryAfterMs / 1000)));
  void reply.code(status).header('content-type', JSON_UTF8).send(JSON.stringify(body));
}
