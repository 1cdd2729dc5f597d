-- Tokens of a user issued at or before this instant are refused (set when the user is disabled; kept when the
-- user is enabled again, so tokens from before the disabling stay refused).
ALTER TABLE users ADD COLUMN revoked_before TIMESTAMP(3) NULL;
CREATE INDEX users_revoked_before ON users (revoked_before);
