/**
 * Who may call a route. Every route declares one where it is registered (config.scope);
 * app.ts refuses to start with a route that has none, and a test enumerates them all.
 *  - public: anyone; a valid access token, if sent, makes the request run as that user
 *  - user:   a signed-in user (401 otherwise)
 *  - admin:  a signed-in administrator (403 otherwise)
 *  - node:   a master/slave node request signed with HMAC
 *  - signed: a URL carrying a valid signature (download links, activation)
 *  - share:  anyone, limited to what one share link exposes
 */
export type RouteScope = 'public' | 'user' | 'admin' | 'node' | 'signed' | 'share';
export const ROUTE_SCOPES: readonly RouteScope[] = ['public', 'user', 'admin', 'node', 'signed', 'share'];

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
}
