import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Helmet's headers, computed once: helmet is run at boot against a recording response, and every
 * answer then gets the same headers in one step. CSP `default-src 'self'` (GraphiQL and Swagger UI
 * load only the app's own files; inline styles allowed as Swagger UI needs); no
 * upgrade-insecure-requests, since the app speaks plain HTTP behind whatever terminates TLS.
 * Running helmet's middleware per request (as @fastify/helmet does) cost about 6 % of the server's
 * CPU in the sale flow, most of it rebuilding these same strings.
 */
export function helmetHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  let done = false;
  helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } })(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    () => (done = true),
  );
  // Helmet's middlewares are synchronous; should one ever not be, fail the boot rather than serve
  // without the headers.
  if (!done) throw new Error('helmet did not finish synchronously');
  return Object.freeze(headers);
}

/** Every answer of the instance carries helmet's headers (see {@link helmetHeaders}). */
export function registerSecurityHeaders(fastify: FastifyInstance): void {
  const headers = helmetHeaders();
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}
