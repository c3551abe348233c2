-- Billing: when the tenant's subscription state was last read from Stripe.
--  - billing_synced_at: the time taken just before the webhook fetched the subscription whose
--    state the row now holds. A handler that fetched earlier (and stalled) must not overwrite a
--    later sync with its older state: it writes only when this is null or not newer than its own
--    fetch time.
--  - nchat_check_billing_sync(id, at): the same rule inside the write's transaction, after
--    nchat_lock_tenant has locked the row; NC409 (as a concurrent change) when a sync newer than
--    `at` is already stored, so the caller re-reads the row and finds its state stale.
ALTER TABLE public.tenants ADD COLUMN billing_synced_at timestamptz;
--> statement-breakpoint
CREATE FUNCTION public.nchat_check_billing_sync(p_id uuid, p_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM public.tenants WHERE id = p_id AND billing_synced_at > p_at;
  IF FOUND THEN
    RAISE EXCEPTION 'tenant % has a billing sync newer than %', p_id, p_at USING ERRCODE = 'NC409';
  END IF;
END
$$;
