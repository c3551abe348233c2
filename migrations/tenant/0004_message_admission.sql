-- The facts about a new message that only the database knows at the moment it is stored, checked
-- in the statement that stores it (one per message of a ChatRoom's group commit), whichever way
-- the message came in (REST or a room's WebSocket): the author's session is still the one they
-- signed in with (NC401: signed out, deactivated, role or password changed since), they are a
-- member of the channel (NC403), and a reply's parent is a live top-level message of the same
-- channel (NC422). The archived check is the group's first statement (nchat_lock_channel_seq,
-- NC410). Any refusal fails the statement, hence the group; the room then commits its messages
-- one by one, so only the refused one is refused. The rules that need no database (the
-- workspace's status and plan features) are src/chat/admission.ts.
CREATE OR REPLACE FUNCTION nchat_admit_message(p_channel uuid, p_user uuid, p_session_version integer, p_parent bigint) RETURNS boolean
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
  RETURN true;
END
$$;
