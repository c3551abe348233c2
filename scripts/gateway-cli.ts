/**
 * npm run gateway — the local database gateway on its own (for benchmarks or a second
 * `wrangler dev`). PORT_GATEWAY (default 8790); DATABASE_URL for a real server, else PGlite in .data/.
 */
import { startLocalGateway } from './lib/local-gateway';

const gateway = await startLocalGateway({ databaseUrl: process.env.DATABASE_URL, port: Number(process.env.GATEWAY_PORT ?? 8790) });
console.log(`gateway: ${gateway.description}\n  NEON_FETCH_ENDPOINT=${gateway.sqlEndpoint}`);
const stop = async () => {
  await gateway.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
