/**
 * The bench gateway as a process of its own (see gateway-process.ts): starts it, prints one JSON
 * line with its addresses, and closes it on SIGTERM.
 */
import { READY } from './gateway-process';
import { startBenchGateway } from './worker-harness';

const gateway = await startBenchGateway(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {});
process.stdout.write(`${READY}${JSON.stringify({ url: gateway.url, sqlEndpoint: gateway.sqlEndpoint, backend: gateway.backend.kind })}\n`);
process.once('SIGTERM', () => {
  void gateway.close().finally(() => process.exit(0));
});
