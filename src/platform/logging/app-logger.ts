import type { LoggerService } from '@nestjs/common';
import { requestContext } from '@fastify/request-context';
import pino, { type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config';

const LEVELS: Readonly<Record<AppConfig['LOG_LEVEL'], Level>> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Nest's boot chatter, every module and every route mapped, printed by every worker: at debug.
 * The node's one boot line is the primary's "Serving with N worker(s)".
 */
const BOOT_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'GraphQLModule',
]);

/**
 * The process's pino logger: JSON lines (one object per line, `time` in ISO form) or, for a
 * terminal, pino-pretty's one-line text. JSON goes out asynchronously (sonic-boom, flushed at exit):
 * a synchronous write per line would cost a system call on the request path.
 */
export function createLogger(config: AppConfig): Logger {
  const options: pino.LoggerOptions = {
    level: LEVELS[config.LOG_LEVEL],
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (config.logFormat === 'json') return pino(options, pino.destination({ sync: false }));
  return pino(
    options,
    pretty({
      sync: true,
      colorize: Boolean(process.stdout.isTTY),
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,context',
      messageFormat: '{if context}[{context}] {end}{msg}',
    }),
  );
}

/**
 * Nest's logger on pino: each line carries its `context` (the class that wrote it) and, when it is
 * written while a request is served, that request's `reqId` (see registerRequestLogging).
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the context last, and for `error` a stack before it. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    const context = typeof params.at(-1) === 'string' ? (params.pop() as string) : undefined;
    if (level === 'info' && context !== undefined && BOOT_CONTEXTS.has(context)) level = 'debug';
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = { context };
    const reqId = requestContext.get('reqId');
    if (reqId !== undefined) fields.reqId = reqId;
    if (level === 'error' && typeof params[0] === 'string') fields.stack = params[0];
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, message.message);
    } else {
      this.pino[level](fields, typeof message === 'string' ? message : JSON.stringify(message));
    }
  }
}

declare module '@fastify/request-context' {
  interface RequestContextData {
    reqId: string;
  }
}
