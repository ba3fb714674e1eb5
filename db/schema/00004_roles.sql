-- A user is an ordinary user or an admin, who sees every user's email and info
-- when USER_DIRECTORY=private. Only an operator changes a role (server admin).
-- A column with a constant default is catalog-only (PostgreSQL 11+): no row is
-- rewritten, and every existing row, and every row the legacy app inserts
-- without naming the column, reads as 'user'. The CHECK is added NOT VALID,
-- which needs no scan under this migration's exclusive lock; 00005 validates it.
-- Changing a role updates the row, so migration 00003's trigger revokes the
-- user's cached sessions on every replica, as a logout does.

-- +goose Up
ALTER TABLE "user"
    ADD COLUMN role text NOT NULL DEFAULT 'user',
    ADD CONSTRAINT user_role_check CHECK (role IN ('user', 'admin')) NOT VALID;

-- +goose Down
ALTER TABLE "user" DROP COLUMN IF EXISTS role;
