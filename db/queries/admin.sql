-- name: SetRole :execrows
-- SetRole (an operator's command, internal/admin; never the API) gives the
-- user with this email the role, unless it is theirs already: 0 rows means
-- no such user or nothing to change, which GetRole tells apart. The UPDATE
-- fires migration 00003's trigger, which revokes the user's cached sessions
-- on every replica, so the new role applies at their next request.
UPDATE "user" SET role = @role WHERE email = @email AND role <> @role;

-- name: GetRole :one
-- GetRole (internal/admin) reads the role of the user with this email;
-- emails are compared exactly, as at login.
SELECT role FROM "user" WHERE email = @email;

-- name: ListAdmins :many
-- ListAdmins (internal/admin) lists every admin, in user_id order.
SELECT user_id, username, email FROM "user" WHERE role = 'admin' ORDER BY user_id;
