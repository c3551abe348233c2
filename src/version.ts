// esbuild keeps only the `version` field of package.json in the bundle.
import { version } from '../package.json';

export const APP_VERSION: string = version;
