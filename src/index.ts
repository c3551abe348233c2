import { app } from './app';

export { TenantGate } from '../durable-objects/tenant-gate';
export { ChatRoom } from '../durable-objects/chat-room';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
