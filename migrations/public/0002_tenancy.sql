-- Tenancy: the global tables. Per-tenant rows in public tables are protected by row-level
-- security keyed on the transaction setting app.tenant_id, forced even for the table owner.
-- Tenant requests run as the tenant's own NOLOGIN role (SET LOCAL ROLE), which is a member of
-- nchat_tenant; the platform (this migration's role) has an explicit policy of its own.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nchat_tenant') THEN
    CREATE ROLE nchat_tenant NOLOGIN;
  END IF;
END
$$;
--> statement-breakpoint
CREATE TABLE public.tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  slug text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 3 AND 32),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'trial', 'active', 'suspended', 'cancelled')),
  owner_email text NOT NULL,
  owner_name text NOT NULL,
  owner_user_id uuid,
  schema_name text NOT NULL CHECK (length(schema_name) BETWEEN 1 AND 63),
  role_name text NOT NULL CHECK (length(role_name) BETWEEN 1 AND 63),
  schema_version text,
  billing_plan text NOT NULL DEFAULT 'free' CHECK (billing_plan IN ('free', 'pro', 'enterprise', 'custom')),
  billing_interval text CHECK (billing_interval IN ('monthly', 'yearly')),
  stripe_customer_id text,
  stripe_subscription_id text,
  stripe_price_id text,
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  trial_ends_at timestamptz,
  last_payment_at timestamptz,
  last_payment_amount integer,
  last_payment_status text,
  limits jsonb NOT NULL DEFAULT '{}'::jsonb,
  features jsonb NOT NULL DEFAULT '{}'::jsonb,
  branding jsonb NOT NULL DEFAULT '{}'::jsonb,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  suspended_at timestamptz,
  suspended_reason text,
  cancelled_at timestamptz,
  deletion_scheduled_at timestamptz,
  deleted_at timestamptz,
  CONSTRAINT tenants_slug_key UNIQUE (slug),
  CONSTRAINT tenants_schema_name_key UNIQUE (schema_name),
  CONSTRAINT tenants_role_name_key UNIQUE (role_name)
);
--> statement-breakpoint
CREATE UNIQUE INDEX tenants_stripe_customer_idx ON public.tenants (stripe_customer_id) WHERE stripe_customer_id IS NOT NULL;
--> statement-breakpoint
CREATE INDEX tenants_status_created_idx ON public.tenants (status, created_at DESC);
--> statement-breakpoint
CREATE INDEX tenants_plan_created_idx ON public.tenants (billing_plan, created_at DESC);
--> statement-breakpoint
CREATE INDEX tenants_deletion_due_idx ON public.tenants (deletion_scheduled_at) WHERE deletion_scheduled_at IS NOT NULL AND deleted_at IS NULL;
--> statement-breakpoint
-- Every write to a tenant starts with this: it locks the row and checks that nobody changed it
-- since it was read (optimistic concurrency in a single batch). SQLSTATE NC409 means "conflict".
CREATE FUNCTION public.nchat_lock_tenant(p_id uuid, p_version integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM public.tenants WHERE id = p_id AND version = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'tenant % was changed concurrently (expected version %)', p_id, p_version USING ERRCODE = 'NC409';
  END IF;
END
$$;
--> statement-breakpoint
CREATE TABLE public.tenant_domains (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  hostname text NOT NULL CHECK (hostname = lower(hostname)),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'failed', 'removed')),
  verification jsonb NOT NULL DEFAULT '{}'::jsonb,
  cloudflare_hostname_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  verified_at timestamptz,
  CONSTRAINT tenant_domains_hostname_key UNIQUE (hostname)
);
--> statement-breakpoint
CREATE INDEX tenant_domains_tenant_idx ON public.tenant_domains (tenant_id);
--> statement-breakpoint
CREATE TABLE public.tenant_usage (
  tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  period text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  users_total integer NOT NULL DEFAULT 0,
  users_active integer NOT NULL DEFAULT 0,
  channels integer NOT NULL DEFAULT 0,
  messages integer NOT NULL DEFAULT 0,
  storage_bytes bigint NOT NULL DEFAULT 0,
  files integer NOT NULL DEFAULT 0,
  api_calls integer NOT NULL DEFAULT 0,
  api_calls_by_endpoint jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, period)
);
--> statement-breakpoint
CREATE TABLE public.tenant_settings (
  tenant_id uuid PRIMARY KEY REFERENCES public.tenants (id) ON DELETE CASCADE,
  timezone text NOT NULL DEFAULT 'UTC',
  language text NOT NULL DEFAULT 'en',
  password_min_length integer NOT NULL DEFAULT 8 CHECK (password_min_length BETWEEN 8 AND 128),
  password_require_mixed boolean NOT NULL DEFAULT false,
  password_require_digit boolean NOT NULL DEFAULT false,
  session_timeout_minutes integer NOT NULL DEFAULT 10080 CHECK (session_timeout_minutes BETWEEN 5 AND 525600),
  message_retention_days integer CHECK (message_retention_days IS NULL OR message_retention_days > 0),
  file_retention_days integer CHECK (file_retention_days IS NULL OR file_retention_days > 0),
  audit_retention_days integer NOT NULL DEFAULT 365 CHECK (audit_retention_days > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE public.tenant_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  email text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'member', 'guest')),
  token_hash text NOT NULL,
  invited_by uuid,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_user_id uuid,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tenant_invitations_token_hash_key UNIQUE (token_hash)
);
--> statement-breakpoint
CREATE INDEX tenant_invitations_tenant_email_idx ON public.tenant_invitations (tenant_id, lower(email));
--> statement-breakpoint
CREATE TABLE public.tenant_audit_logs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  actor_id text,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'platform_admin', 'system', 'stripe')),
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text,
  old_values jsonb,
  new_values jsonb,
  ip_address text,
  user_agent text,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX tenant_audit_logs_tenant_created_idx ON public.tenant_audit_logs (tenant_id, created_at DESC, id DESC);
--> statement-breakpoint
CREATE INDEX tenant_audit_logs_tenant_action_idx ON public.tenant_audit_logs (tenant_id, action, created_at DESC);
--> statement-breakpoint
CREATE TABLE public.stripe_webhooks (
  event_id text PRIMARY KEY,
  type text NOT NULL,
  tenant_id uuid REFERENCES public.tenants (id) ON DELETE SET NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed', 'failed', 'ignored')),
  error text,
  attempts integer NOT NULL DEFAULT 0,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
--> statement-breakpoint
CREATE INDEX stripe_webhooks_tenant_idx ON public.stripe_webhooks (tenant_id, received_at DESC);
--> statement-breakpoint
-- Platform-level record of what was done to tenants, kept after a tenant (and its own audit
-- log) is purged: proof of deletion, and a trail for operators. Tenant roles cannot read it.
CREATE TABLE public.platform_audit_logs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid,
  tenant_slug text,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'platform_admin', 'system', 'stripe')),
  actor_id text,
  action text NOT NULL,
  details jsonb,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX platform_audit_logs_tenant_idx ON public.platform_audit_logs (tenant_id, created_at DESC);
--> statement-breakpoint
-- Row-level security on the per-tenant public tables. Tenant roles see their own tenant's rows
-- (app.tenant_id is set in the same transaction by TenantDb); the platform role that owns the
-- tables sees everything through its own explicit policy (CURRENT_USER is the migrating role).
ALTER TABLE public.tenant_usage ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE public.tenant_usage FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_usage_platform ON public.tenant_usage TO CURRENT_USER USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY tenant_usage_own ON public.tenant_usage TO nchat_tenant
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE public.tenant_settings ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE public.tenant_settings FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_settings_platform ON public.tenant_settings TO CURRENT_USER USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY tenant_settings_own ON public.tenant_settings TO nchat_tenant
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE public.tenant_invitations ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE public.tenant_invitations FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_invitations_platform ON public.tenant_invitations TO CURRENT_USER USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY tenant_invitations_own ON public.tenant_invitations TO nchat_tenant
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE public.tenant_audit_logs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE public.tenant_audit_logs FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_audit_logs_platform ON public.tenant_audit_logs TO CURRENT_USER USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY tenant_audit_logs_own ON public.tenant_audit_logs TO nchat_tenant
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
-- What tenant roles may do in public: their own usage, settings and invitations; append to
-- (never rewrite) their audit log. Nothing on tenants, domains or Stripe events.
GRANT USAGE ON SCHEMA public TO nchat_tenant;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON public.tenant_usage TO nchat_tenant;
--> statement-breakpoint
GRANT SELECT, UPDATE ON public.tenant_settings TO nchat_tenant;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON public.tenant_invitations TO nchat_tenant;
--> statement-breakpoint
GRANT SELECT, INSERT ON public.tenant_audit_logs TO nchat_tenant;
