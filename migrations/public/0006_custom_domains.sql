-- Custom domains (Cloudflare for SaaS, src/domains/).
--  - tenants.custom_domains: the hostnames that serve the workspace (active at Cloudflare, with
--    an active certificate). Kept on the tenant row so that the snapshot every cache and the
--    TenantGate hold names them: a domain that stops serving bumps the tenant's version like any
--    other change, and the gate's newer snapshot refuses the host on the very next request.
--  - tenant_domains: what Cloudflare last said about each hostname (its status, the SSL status,
--    verification errors, the DNS records the customer must create) and when to ask again.
--    status: pending (verifying), active (serving), failed (verification gave up, or Cloudflare
--    reported it moved, deleted or blocked; failure_reason says which).
ALTER TABLE public.tenants ADD COLUMN custom_domains text[] NOT NULL DEFAULT '{}';
--> statement-breakpoint
ALTER TABLE public.tenant_domains
  ADD COLUMN cloudflare_status text,
  ADD COLUMN ssl_status text,
  ADD COLUMN verification_errors jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN dns_records jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN failure_reason text,
  ADD COLUMN checked_at timestamptz,
  ADD COLUMN next_check_at timestamptz,
  ADD COLUMN check_count integer NOT NULL DEFAULT 0;
--> statement-breakpoint
CREATE INDEX tenant_domains_due_idx ON public.tenant_domains (next_check_at) WHERE next_check_at IS NOT NULL;
--> statement-breakpoint
-- Owners and admins read their own workspace's domains as the tenant role; every write goes
-- through the platform's use cases (they also change the tenant row).
ALTER TABLE public.tenant_domains ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE public.tenant_domains FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_domains_platform ON public.tenant_domains TO CURRENT_USER USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY tenant_domains_own ON public.tenant_domains FOR SELECT TO nchat_tenant
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT ON public.tenant_domains TO nchat_tenant;
