/**
 * A local fake of Cloudflare's custom hostnames API (Cloudflare for SaaS), the part nchat uses,
 * for tests and `npm run dev`. See README.md beside this file for the endpoints and the control API.
 */
export { startCloudflareFake, type CloudflareFake, type CloudflareFakeOptions } from './server';
export { CloudflareFakeState, type RecordedRequest, type FailureRule, type FailureMode, type FakeHostname, type HostnamePatch, type SeedHostname } from './state';
export { HOSTNAME_STATES, type CustomHostname, type HostnameStateName } from './objects';
export type { Envelope, ErrorItem, ResultInfo } from './envelope';
export type { SetStateRequest, PatchHostnameRequest, SeedHostnameRequest, FailRequest } from './control-routes';
