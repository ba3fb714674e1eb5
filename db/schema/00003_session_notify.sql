-- Every replica keeps recently used sessions (sid -> user row) in memory, so an
-- authenticated request needs no query. These triggers tell every replica at once
-- when a cached row stops being true: any change to a user row (a logout rotating
-- its sid, a password hash upgrade, an operator's UPDATE or DELETE in SQL) sends
-- the row's OLD sid on channel users_sessions, and TRUNCATE sends "*" (forget
-- everything). pg_notify is transactional: replicas hear it when the change
-- commits, never before, and not at all if it rolls back. Replicas LISTEN on a
-- dedicated connection (internal/sessioncache); creating triggers rewrites no row.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION user_session_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('users_sessions', '*');
    ELSE
        PERFORM pg_notify('users_sessions', OLD.sid);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE OR REPLACE TRIGGER user_session_updated
    AFTER UPDATE ON "user"
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION user_session_changed();

CREATE OR REPLACE TRIGGER user_session_deleted
    AFTER DELETE ON "user"
    FOR EACH ROW EXECUTE FUNCTION user_session_changed();

CREATE OR REPLACE TRIGGER user_session_truncated
    AFTER TRUNCATE ON "user"
    FOR EACH STATEMENT EXECUTE FUNCTION user_session_changed();

-- +goose Down
DROP TRIGGER IF EXISTS user_session_truncated ON "user";
DROP TRIGGER IF EXISTS user_session_deleted ON "user";
DROP TRIGGER IF EXISTS user_session_updated ON "user";
DROP FUNCTION IF EXISTS user_session_changed();
