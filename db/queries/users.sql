-- name: CreateUser :one
-- CreateUser stores a new user and returns its public columns, unless another
-- user has the sid already (no row: draw another; a legacy sid is only 10
-- digits). token is what the legacy app would have stored (NULL: none). A
-- duplicate email fails with unique_violation (23505) on user_email_key,
-- which the caller maps to the duplicate error.
INSERT INTO "user" (username, email, password, info, sid, token, created, modified)
SELECT @username::text, @email::text, @password_hash::text, sqlc.narg(info)::jsonb, @sid::text, sqlc.narg(token)::text,
  timezone('utc', now()), timezone('utc', now())
WHERE NOT EXISTS (SELECT 1 FROM "user" WHERE sid = @sid::text)
RETURNING user_id, username, email, info, created, modified;

-- name: GetUser :one
-- GetUser reads a user's public columns. info comes back only when PostgreSQL
-- writes it in at most @max_info_bytes (NULL otherwise), and info_size is how
-- many bytes it takes: a reader with a byte budget never receives a legacy
-- info larger than its budget (jsonb prints numbers in full, so one row can
-- be megabytes).
SELECT user_id, username, email,
  CASE WHEN octet_length(info::text) <= @max_info_bytes::int THEN info END::jsonb AS info,
  coalesce(octet_length(info::text), 0)::int AS info_size,
  created, modified
FROM "user" WHERE user_id = @user_id;

-- name: GetUserByEmail :one
-- GetUserByEmail finds the user for a login: the public columns, the hash
-- to verify and the sid to mint a token over (not the stored legacy token).
-- Emails are unique and compared exactly, as legacy did.
SELECT user_id, username, email, password, info, sid, created, modified
FROM "user" WHERE email = @email;

-- name: GetSessionsBySID :many
-- GetSessionsBySID resolves a token's sid to what authentication needs: the
-- user and their role, and the SHA-256 of the token the legacy app stored
-- for them (NULL when none), so the stored token itself never leaves the
-- database. Legacy sids were 10 digits and may collide, so it returns up to
-- two rows and the caller refuses an ambiguous sid.
SELECT user_id, sid, role, sha256(convert_to(token, 'UTF8')) AS legacy_token_sha256
FROM "user" WHERE sid = @sid LIMIT 2;

-- name: ListUsers :many
-- ListUsers is one keyset page: users after a user_id, in user_id order (never OFFSET),
-- for a reader without a byte budget (ListUserPage has one). It reads only the
-- columns a listing shows (no hash, token or sid leaves the database for a list),
-- which also makes each row cheaper to send and scan.
SELECT user_id, username, email, info, created, modified FROM "user"
WHERE user_id > @after_id ORDER BY user_id LIMIT @max_rows;

-- name: ListUserPage :many
-- ListUserPage is ListUsers for a reader with a byte budget, between two
-- keys (exclusive; bigint, so a bound can lie past every int4 user_id): info
-- comes back only while the infos of the page so far, as PostgreSQL writes
-- them, add up to at most @max_info_bytes (NULL after that), and info_size is
-- how many bytes each takes (see GetUser).
SELECT user_id, username, email,
  CASE WHEN sum(coalesce(octet_length(info::text), 0)) OVER (ORDER BY user_id ROWS UNBOUNDED PRECEDING) <= @max_info_bytes::int
    THEN info END::jsonb AS info,
  coalesce(octet_length(info::text), 0)::int AS info_size,
  created, modified
FROM "user"
WHERE user_id > @after_id::bigint AND user_id < @before_id::bigint ORDER BY user_id LIMIT @max_rows;

-- name: ListUserPageBackward :many
-- ListUserPageBackward is ListUserPage read from the upper key down (a page
-- before a cursor, Relay's last/before): the same keyset, newest first, so
-- the caller reverses it. The budget counts in that order too.
SELECT user_id, username, email,
  CASE WHEN sum(coalesce(octet_length(info::text), 0)) OVER (ORDER BY user_id DESC ROWS UNBOUNDED PRECEDING) <= @max_info_bytes::int
    THEN info END::jsonb AS info,
  coalesce(octet_length(info::text), 0)::int AS info_size,
  created, modified
FROM "user"
WHERE user_id > @after_id::bigint AND user_id < @before_id::bigint ORDER BY user_id DESC LIMIT @max_rows;

-- name: GetUsers :many
-- GetUsers reads the users with these ids (nodes(ids:)), in user_id order,
-- within a byte budget as ListUserPage does.
SELECT user_id, username, email,
  CASE WHEN sum(coalesce(octet_length(info::text), 0)) OVER (ORDER BY user_id ROWS UNBOUNDED PRECEDING) <= @max_info_bytes::int
    THEN info END::jsonb AS info,
  coalesce(octet_length(info::text), 0)::int AS info_size,
  created, modified
FROM "user"
WHERE user_id = ANY(@user_ids::int[]) ORDER BY user_id;

-- name: CountUsers :one
SELECT count(*) FROM "user";

-- name: UpdatePasswordHash :exec
-- UpdatePasswordHash upgrades a hash after a successful login; it only replaces the
-- hash that was verified, so a concurrent password change is never overwritten.
UPDATE "user" SET password = @new_hash WHERE user_id = @user_id AND password = @old_hash;

-- name: RotateSID :execrows
-- RotateSID gives the user a new sid, which revokes every token minted over the old one,
-- and replaces the token stored for the legacy app (NULL: none), so the old one
-- authenticates no more. It changes nothing when another user has the new sid.
UPDATE "user" AS u SET sid = @new_sid, token = sqlc.narg(new_token)
WHERE u.user_id = @user_id AND u.sid = @old_sid
  AND NOT EXISTS (SELECT 1 FROM "user" AS other WHERE other.sid = @new_sid);

-- name: SIDTaken :one
-- SIDTaken reports whether some user has this sid.
SELECT EXISTS (SELECT 1 FROM "user" WHERE sid = @sid);

-- name: GetStoredToken :one
-- GetStoredToken reads the token stored for the legacy app (NULL: none) and the sid,
-- for a login under LEGACY_COEXISTENCE, after the password verified.
SELECT sid, token FROM "user" WHERE user_id = @user_id;

-- name: StoreToken :execrows
-- StoreToken gives a user without a stored token (NULL, or empty) a new sid and the
-- legacy app's token over it. It changes nothing when the user's sid is no longer @old_sid, a token
-- is stored already (a concurrent login), or another user has the new sid.
UPDATE "user" AS u SET sid = @new_sid, token = @new_token::text
WHERE u.user_id = @user_id AND u.sid = @old_sid AND coalesce(u.token, '') = ''
  AND NOT EXISTS (SELECT 1 FROM "user" AS other WHERE other.sid = @new_sid);
