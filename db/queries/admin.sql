-- name: SetRole :one
-- SetRole (an operator's command, internal/admin; never the API) gives the
-- user with this email the role, unless it is theirs already, and returns
-- their user_id. No row means no such user or nothing to change, which
-- GetRole tells apart. The UPDATE fires migration 00003's trigger, which
-- revokes the user's cached sessions on every replica, so the new role
-- applies from their next request.
UPDATE "user" SET role = @role WHERE email = @email AND role <> @role
RETURNING user_id;

-- name: GetRole :one
-- GetRole (internal/admin) reads the user_id and role of the user with this
-- email; emails are compared exactly, as at login.
SELECT user_id, role FROM "user" WHERE email = @email;

-- name: ListAdmins :many
-- ListAdmins (internal/admin) lists every admin, in user_id order.
SELECT user_id, username, email FROM "user" WHERE role = 'admin' ORDER BY user_id;
