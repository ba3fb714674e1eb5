-- The "user" table exactly as the legacy app's SQLAlchemy create_all made it, column
-- order included, so that a fresh database and an adopted legacy one look the same.
-- On a legacy database the table already exists: IF NOT EXISTS adopts it untouched.

-- +goose Up
CREATE TABLE IF NOT EXISTS "user" (
    created  timestamp without time zone,
    modified timestamp without time zone,
    user_id  serial PRIMARY KEY,
    username varchar(20) NOT NULL,
    email    varchar(320) NOT NULL,
    password varchar(80) NOT NULL,
    info     jsonb,
    token    varchar(255) NOT NULL,
    sid      varchar(10) NOT NULL,
    -- legacy contract: the constraint name appears in the duplicate-email error.
    CONSTRAINT user_email_key UNIQUE (email)
);

-- SQLAlchemy set these timestamps client-side; the table itself had no default.
ALTER TABLE "user"
    ALTER COLUMN created SET DEFAULT timezone('utc', now()),
    ALTER COLUMN modified SET DEFAULT timezone('utc', now());

-- No Down: rolling back would drop an adopted legacy table and every user in it.
