-- Users of one workspace. Applied with search_path set to the tenant's schema, so names are
-- unqualified. IF NOT EXISTS lets an adopted single-tenant schema that already has these
-- tables take the migration without losing data.
CREATE TABLE IF NOT EXISTS nchat_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  display_name text NOT NULL,
  password_hash text,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member', 'guest')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
  avatar_url text,
  status_text text,
  session_version integer NOT NULL DEFAULT 1,
  last_seen_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS nchat_users_email_key ON nchat_users (lower(email));
