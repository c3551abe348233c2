-- Billing: what the Stripe webhook needs beyond the columns 0002 already has.
--  - subscription_status: Stripe's own status of the tenant's subscription (active, trialing,
--    past_due, unpaid, canceled, ...), shown to the owner and used to refuse a second checkout;
--  - past_due_since: when the subscription first went past due, so the daily sweep can suspend
--    the workspace once BILLING_GRACE_DAYS have passed (cleared when an invoice is paid).
ALTER TABLE public.tenants ADD COLUMN subscription_status text;
--> statement-breakpoint
ALTER TABLE public.tenants ADD COLUMN past_due_since timestamptz;
--> statement-breakpoint
CREATE INDEX tenants_past_due_idx ON public.tenants (past_due_since) WHERE past_due_since IS NOT NULL;
