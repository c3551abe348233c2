/**
 * The stack as a test file sees it (provided by ./global-setup.ts): URLs and the Node-side API.
 */
import { inject } from 'vitest';
import { NchatApi } from './api';
import { platformUrlOf, workspaceHostOf, workspaceUrlOf, type StackInfo } from './stack-info';
import './provided';

/** Ports, URLs, the admin token and the Stripe fake's URL of this run's stack. */
export function stack(): StackInfo {
  return inject('nchatBrowser');
}

/** `http://<slug>.localhost:<port><path>`: a workspace in the browser. */
export function workspaceUrl(slug: string, path = '/'): string {
  return workspaceUrlOf(stack(), slug, path);
}

/** `http://localhost:<port><path>`: the platform host (sign-up). */
export function platformUrl(path = '/'): string {
  return platformUrlOf(stack(), path);
}

/** `<slug>.localhost:<port>`. */
export function workspaceHost(slug: string): string {
  return workspaceHostOf(stack(), slug);
}

/** Node → Worker requests (create a workspace, call a workspace API with a bearer token). */
export const api = new NchatApi(stack);
