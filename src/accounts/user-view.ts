import { toIsoTimestamp } from '../db/client';
import { nchatUsers, type UserRole } from '../db/schema';

export type UserStatus = 'active' | 'deactivated';

/**
 * A user as the API shows it. Built field by field, so the password hash and the session
 * version can never leak into a response by someone adding a column to a query.
 */
export interface UserView {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
  status: UserStatus;
  avatarUrl: string | null;
  statusText: string | null;
  lastSeenAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The columns a view needs (drizzle projection): never password_hash. */
export const userColumns = {
  id: nchatUsers.id,
  email: nchatUsers.email,
  displayName: nchatUsers.displayName,
  role: nchatUsers.role,
  status: nchatUsers.status,
  avatarUrl: nchatUsers.avatarUrl,
  statusText: nchatUsers.statusText,
  lastSeenAt: nchatUsers.lastSeenAt,
  createdAt: nchatUsers.createdAt,
  updatedAt: nchatUsers.updatedAt,
};

/** The same columns for raw SQL (`RETURNING ...`, `SELECT ... FROM changed`), plus the session version. */
export const USER_SQL_COLUMNS = 'id, email, display_name, role, status, avatar_url, status_text, session_version, last_seen_at, created_at, updated_at';

type Timestamp = Date | string;

/** What a view is built from: the same fields, with timestamps as Dates (drizzle) or Postgres text (raw SQL). */
export type UserFields = Omit<UserView, 'lastSeenAt' | 'createdAt' | 'updatedAt'> & {
  lastSeenAt: Timestamp | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
};

function iso(value: Timestamp): string;
function iso(value: Timestamp | null): string | null;
function iso(value: Timestamp | null): string | null {
  if (value === null) return null;
  return value instanceof Date ? value.toISOString() : toIsoTimestamp(value);
}

export function userView(u: UserFields): UserView {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    role: u.role,
    status: u.status,
    avatarUrl: u.avatarUrl,
    statusText: u.statusText,
    lastSeenAt: iso(u.lastSeenAt),
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
  };
}

/** A row of USER_SQL_COLUMNS (raw Neon query: snake_case, timestamps as Postgres text). */
export interface SqlUser extends UserFields {
  sessionVersion: number;
}

export function userFromSql(row: Record<string, unknown>): SqlUser {
  return {
    id: String(row.id),
    email: String(row.email),
    displayName: String(row.display_name),
    role: row.role as UserRole,
    status: row.status as UserStatus,
    avatarUrl: (row.avatar_url as string | null) ?? null,
    statusText: (row.status_text as string | null) ?? null,
    sessionVersion: Number(row.session_version),
    lastSeenAt: (row.last_seen_at as Timestamp | null) ?? null,
    createdAt: row.created_at as Timestamp,
    updatedAt: row.updated_at as Timestamp,
  };
}
