-- Team chat: channels, members, messages (threads, mentions, full-text search), reactions,
-- read positions and attachments. Unqualified names: applied with search_path set to the
-- tenant's schema.
CREATE TABLE nchat_channels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('public', 'private', 'direct')),
  name text,
  topic text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  -- Direct messages: the two member ids, sorted and joined, so a pair has one channel.
  dm_key text,
  created_by uuid REFERENCES nchat_users (id),
  -- Per-channel message sequence: what clients resume from after a reconnect.
  last_seq bigint NOT NULL DEFAULT 0,
  last_message_at timestamptz,
  archived_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'direct') = (dm_key IS NOT NULL)),
  CHECK (kind = 'direct' OR name IS NOT NULL)
);
--> statement-breakpoint
CREATE UNIQUE INDEX nchat_channels_name_key ON nchat_channels (lower(name)) WHERE kind <> 'direct';
--> statement-breakpoint
CREATE UNIQUE INDEX nchat_channels_dm_key ON nchat_channels (dm_key) WHERE dm_key IS NOT NULL;
--> statement-breakpoint
CREATE TABLE nchat_channel_members (
  channel_id uuid NOT NULL REFERENCES nchat_channels (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES nchat_users (id),
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
  last_read_seq bigint NOT NULL DEFAULT 0,
  last_read_at timestamptz,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel_id, user_id)
);
--> statement-breakpoint
CREATE INDEX nchat_channel_members_user_idx ON nchat_channel_members (user_id);
--> statement-breakpoint
CREATE TABLE nchat_messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel_id uuid NOT NULL REFERENCES nchat_channels (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  user_id uuid NOT NULL REFERENCES nchat_users (id),
  parent_id bigint REFERENCES nchat_messages (id) ON DELETE CASCADE,
  text text NOT NULL CHECK (length(text) <= 4000),
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
  client_id text,
  reply_count integer NOT NULL DEFAULT 0,
  last_reply_at timestamptz,
  edited_at timestamptz,
  deleted_at timestamptz,
  deleted_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel_id, seq)
);
--> statement-breakpoint
CREATE INDEX nchat_messages_channel_idx ON nchat_messages (channel_id, id DESC);
--> statement-breakpoint
CREATE INDEX nchat_messages_thread_idx ON nchat_messages (parent_id, id) WHERE parent_id IS NOT NULL;
--> statement-breakpoint
CREATE INDEX nchat_messages_search_idx ON nchat_messages USING gin (search);
--> statement-breakpoint
CREATE TABLE nchat_mentions (
  message_id bigint NOT NULL REFERENCES nchat_messages (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES nchat_users (id),
  PRIMARY KEY (message_id, user_id)
);
--> statement-breakpoint
CREATE INDEX nchat_mentions_user_idx ON nchat_mentions (user_id, message_id DESC);
--> statement-breakpoint
CREATE TABLE nchat_reactions (
  message_id bigint NOT NULL REFERENCES nchat_messages (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES nchat_users (id),
  emoji text NOT NULL CHECK (length(emoji) BETWEEN 1 AND 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, emoji, user_id)
);
--> statement-breakpoint
CREATE TABLE nchat_attachments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel_id uuid NOT NULL REFERENCES nchat_channels (id) ON DELETE CASCADE,
  message_id bigint REFERENCES nchat_messages (id) ON DELETE SET NULL,
  uploader_id uuid NOT NULL REFERENCES nchat_users (id),
  r2_key text NOT NULL UNIQUE,
  filename text NOT NULL,
  content_type text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
--> statement-breakpoint
CREATE INDEX nchat_attachments_channel_idx ON nchat_attachments (channel_id, created_at DESC);
--> statement-breakpoint
-- The session check every signed-in tenant request makes, in the same transaction as its work
-- (so it costs no extra round trip): the user must exist, be active, and still be at the
-- session version the token was issued for. Logout, password and role changes and
-- deactivation bump the version, which ends every older token at once. SQLSTATE NC401.
CREATE OR REPLACE FUNCTION nchat_check_session(p_user uuid, p_version integer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  r text;
BEGIN
  SELECT role INTO r FROM nchat_users WHERE id = p_user AND status = 'active' AND session_version = p_version;
  IF r IS NULL THEN
    RAISE EXCEPTION 'session is no longer valid' USING ERRCODE = 'NC401';
  END IF;
  RETURN r;
END
$$;
--> statement-breakpoint
-- First statement of every group of messages a ChatRoom commits: locks the channel row and
-- checks that its sequence is where the room believes it is. Anything else (a second writer,
-- a stale room) fails the group with SQLSTATE NC409 instead of interleaving sequence numbers;
-- an archived (or deleted) channel takes no more messages: NC410.
CREATE OR REPLACE FUNCTION nchat_lock_channel_seq(p_channel uuid, p_expected bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  s bigint;
  archived timestamptz;
BEGIN
  SELECT last_seq, archived_at INTO s, archived FROM nchat_channels WHERE id = p_channel FOR UPDATE;
  IF NOT FOUND OR archived IS NOT NULL THEN
    RAISE EXCEPTION 'channel % is archived or deleted', p_channel USING ERRCODE = 'NC410';
  END IF;
  IF s IS DISTINCT FROM p_expected THEN
    RAISE EXCEPTION 'channel % is at sequence %, not %', p_channel, s, p_expected USING ERRCODE = 'NC409';
  END IF;
  RETURN s;
END
$$;
