-- Tokens are Fernet over the user's sid. The legacy sid was 10 random digits:
-- across a million users two would collide (birthday bound), and a token would
-- then name two users. New sids are 128-bit random, which needs a wider column;
-- widening a varchar is a catalog-only change, so no row is rewritten.
-- The token column held a never-expiring bearer token in clear; new rows store
-- none (tokens are minted at login), so it becomes nullable.

-- +goose Up
ALTER TABLE "user" ALTER COLUMN sid TYPE varchar(64);
ALTER TABLE "user" ALTER COLUMN token DROP NOT NULL;
-- Every authenticated request looks a user up by sid.
CREATE INDEX IF NOT EXISTS user_sid_idx ON "user" (sid);

-- +goose Down
DROP INDEX IF EXISTS user_sid_idx;
