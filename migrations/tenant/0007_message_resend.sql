-- A resent message (a client that did not hear its message was stored, after a dropped socket)
-- must not be stored twice: the admission check of 0004/0006 also refuses a message whose
-- (channel, author, client id) is already stored, naming the stored one (NC208, its id in
-- DETAIL), and the room answers the sender with that one. The room is the channel's single
-- writer, so the check cannot race another insert; the index keeps it an index lookup. (Not a
-- unique index: rows written before this migration may repeat a client id.)
CREATE INDEX IF NOT EXISTS nchat_messages_client_idx ON nchat_messages (channel_id, user_id, client_id) WHERE client_id IS NOT NULL;
--> statement-breakpoint
DROP FUNCTION IF EXISTS nchat_admit_message(uuid, uuid, integer, bigint, uuid[]);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION nchat_admit_message(p_channel uuid, p_user uuid, p_session_version integer, p_parent bigint, p_attachments uuid[], p_client_id text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  existing bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM nchat_users WHERE id = p_user AND status = 'active' AND session_version = p_session_version) THEN
    RAISE EXCEPTION 'session is no longer valid' USING ERRCODE = 'NC401';
  END IF;
  IF p_client_id IS NOT NULL THEN
    SELECT id INTO existing FROM nchat_messages WHERE channel_id = p_channel AND user_id = p_user AND client_id = p_client_id ORDER BY id LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'message % is already stored', existing USING ERRCODE = 'NC208', DETAIL = existing::text;
    END IF;
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
