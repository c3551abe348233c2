-- Files attached to a new message: the admission check of 0004 also checks each attachment id
-- (uploaded to this channel by the author, not attached to another message, not deleted), so a
-- message can only carry its author's own fresh uploads (NC424 otherwise). The storing
-- statement then links them (nchat_attachments.message_id). Replaces the 4-argument version.
DROP FUNCTION IF EXISTS nchat_admit_message(uuid, uuid, integer, bigint);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION nchat_admit_message(p_channel uuid, p_user uuid, p_session_version integer, p_parent bigint, p_attachments uuid[]) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM nchat_users WHERE id = p_user AND status = 'active' AND session_version = p_session_version) THEN
    RAISE EXCEPTION 'session is no longer valid' USING ERRCODE = 'NC401';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM nchat_channel_members WHERE channel_id = p_channel AND user_id = p_user) THEN
    RAISE EXCEPTION 'not a member of channel %', p_channel USING ERRCODE = 'NC403';
  END IF;
  IF p_parent IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM nchat_messages WHERE id = p_parent AND channel_id = p_channel AND parent_id IS NULL AND deleted_at IS NULL
  ) THEN
    RAISE EXCEPTION 'message % cannot take replies here', p_parent USING ERRCODE = 'NC422';
  END IF;
  IF coalesce(cardinality(p_attachments), 0) > 0 AND (
    SELECT count(*) FROM nchat_attachments
    WHERE id = ANY(p_attachments) AND channel_id = p_channel AND uploader_id = p_user AND message_id IS NULL AND deleted_at IS NULL
  ) <> (SELECT count(DISTINCT a) FROM unnest(p_attachments) AS a) THEN
    RAISE EXCEPTION 'attachments cannot go with this message' USING ERRCODE = 'NC424';
  END IF;
  RETURN true;
END
$$;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS nchat_attachments_message_idx ON nchat_attachments (message_id) WHERE message_id IS NOT NULL;
