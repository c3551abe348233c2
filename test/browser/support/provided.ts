import type { StackInfo } from './stack-info';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The browser suite's stack (test/browser/support/global-setup.ts). */
    nchatBrowser: StackInfo;
  }
}
