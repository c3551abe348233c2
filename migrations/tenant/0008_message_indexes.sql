-- The resend check (nchat_admit_message, 0007: is this (channel, author, client id) already
-- stored?) uses a hash index on the client id alone. It replaces the b-tree on
-- (channel_id, user_id, client_id). Client ids are random (UUIDs), so each new message
-- lands on a random page of that index. In a tenant with 1,000,000 messages the b-tree was the
-- largest index on the table (88 MB, 93 bytes a message). It was also the index that costs most
-- on insert: 47 % of the WAL a message writes after a checkpoint, one full-page image for almost
-- every new row. The GIN search index costs about 5 % by that measure. The hash index keeps a
-- 4-byte hash per row (32 MB), so the random writes spread over far fewer pages. The check still
-- finds the one or two rows with that hash and compares channel and author on them (0.3 ms,
-- as before). Hash indexes leave NULLs out, so messages without a client id cost nothing here.
-- Figures: docs/message-storage.md (bench/message-indexes.ts).
CREATE INDEX IF NOT EXISTS nchat_messages_client_hash_idx ON nchat_messages USING hash (client_id);
--> statement-breakpoint
DROP INDEX IF EXISTS nchat_messages_client_idx;
