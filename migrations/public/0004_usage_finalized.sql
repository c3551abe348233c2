-- A month's usage row is measured one last time after the month ends (its last days' messages
-- and active people); finalized_at says that happened, so it happens once, whatever else wrote
-- the row meanwhile (the TenantGate flushes API calls into it after midnight too).
ALTER TABLE public.tenant_usage ADD COLUMN finalized_at timestamptz;
