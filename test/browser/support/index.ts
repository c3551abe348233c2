/**
 * Everything a browser test file needs (see test/browser/README.md):
 *
 *   import { api, newPerson, workspaceUrl, screenshot } from './support';
 */
export { api, platformUrl, stack, workspaceHost, workspaceUrl } from './context';
export { uniqueClientIp, uniqueSlug, type ApiResponse, type Member, type Workspace, type WorkspaceInput } from './api';
export { newPerson, sharedBrowser, type Person, type PersonOptions, type Problem, type ProblemFilter } from './people';
export { launchBrowser, VIEWPORTS, viewportOptions, type ViewportName } from './browser';
export { screenshot, screenshotDir, ARTIFACTS_DIR } from './screenshot';
export { expectNoSeriousA11yViolations, type A11yContext, type A11yViolation } from './a11y';
export { controlWebSockets, type SocketControl } from './sockets';
export type { StackInfo } from './stack-info';
