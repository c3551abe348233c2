// Types `exports` from 'cloudflare:workers' (and ctx.exports) with this Worker's own exports.
// `wrangler types --include-runtime=false` does not emit it, so it is declared here.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import('./index');
  }
}
