-- The installation itself: one row that identifies this database as an nchat installation.
-- The health check reads the schema version next to it; later migrations add the tenancy tables.
CREATE TABLE public.instance (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  instance_id uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
INSERT INTO public.instance DEFAULT VALUES;
