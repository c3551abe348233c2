-- A room writes its log to Postgres with up to two groups in flight (durable-objects/room-writer.ts):
-- the second is sent while the first is still on its way, so a busy room's messages reach Postgres
-- sooner. Their commits must still come in sequence order: REST readers page by id and must never
-- see a message before an earlier one. Each group's transaction begins with this function: it
-- locks the channel row (a group behind another waits here until that one has committed, since
-- the earlier group holds the lock), and a group sent behind another (p_after not NULL) is refused
-- with NC409 unless the channel's sequence has reached the message before its first — that is,
-- unless the group before it has committed. The room then resends, in order and idempotently.
-- The first group in flight passes NULL: it follows only what is stored already.
CREATE OR REPLACE FUNCTION nchat_lock_channel_after(p_channel uuid, p_after bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  s bigint;
BEGIN
  SELECT last_seq INTO s FROM nchat_channels WHERE id = p_channel FOR UPDATE;
  -- A deleted channel is left to the insert (its foreign key says so, SQLSTATE 23503).
  IF FOUND AND p_after IS NOT NULL AND s < p_after THEN
    RAISE EXCEPTION 'channel % is at sequence %, the group before % has not committed', p_channel, s, p_after USING ERRCODE = 'NC409';
  END IF;
  RETURN s;
END
$$;
