-- Usage reports count the messages sent in a month and the people active in it (signed in or
-- posted). Both are range scans on created_at / last_seen_at, which these indexes serve.
CREATE INDEX IF NOT EXISTS nchat_messages_created_idx ON nchat_messages (created_at, user_id);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS nchat_users_last_seen_idx ON nchat_users (last_seen_at) WHERE last_seen_at IS NOT NULL;
