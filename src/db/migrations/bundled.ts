// Tenant migrations inside the Worker bundle (wrangler imports .sql files as text), for
// provisioning, which applies every tenant migration in the tenant's creation transaction.
// Add a line here with each new file in migrations/tenant/; the test suite's global setup
// refuses to run if this list and the directory differ.
import users from '../../../migrations/tenant/0001_users.sql';
import chat from '../../../migrations/tenant/0002_chat.sql';
import usage from '../../../migrations/tenant/0003_usage.sql';
import messageAdmission from '../../../migrations/tenant/0004_message_admission.sql';
import autoJoin from '../../../migrations/tenant/0005_auto_join_channels.sql';
import messageAttachments from '../../../migrations/tenant/0006_message_attachments.sql';
import messageResend from '../../../migrations/tenant/0007_message_resend.sql';
import messageIndexes from '../../../migrations/tenant/0008_message_indexes.sql';
import writeBehindPipeline from '../../../migrations/tenant/0009_write_behind_pipeline.sql';
import { prepareMigrations, type Migration, type MigrationFile } from './migration';

export const TENANT_MIGRATION_FILES: MigrationFile[] = [
  { version: '0001', name: 'users', sql: users },
  { version: '0002', name: 'chat', sql: chat },
  { version: '0003', name: 'usage', sql: usage },
  { version: '0004', name: 'message_admission', sql: messageAdmission },
  { version: '0005', name: 'auto_join_channels', sql: autoJoin },
  { version: '0006', name: 'message_attachments', sql: messageAttachments },
  { version: '0007', name: 'message_resend', sql: messageResend },
  { version: '0008', name: 'message_indexes', sql: messageIndexes },
  { version: '0009', name: 'write_behind_pipeline', sql: writeBehindPipeline },
];

let prepared: Promise<Migration[]> | undefined;

/** Parsed and checksummed once per isolate. */
export function tenantMigrations(): Promise<Migration[]> {
  prepared ??= prepareMigrations(TENANT_MIGRATION_FILES);
  return prepared;
}
