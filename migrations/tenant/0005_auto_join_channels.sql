-- Channels every new member joins when they accept an invitation: a new workspace starts with
-- #general, so the people invited into it meet somewhere. Existing channels keep false.
ALTER TABLE nchat_channels ADD COLUMN IF NOT EXISTS auto_join boolean NOT NULL DEFAULT false;
