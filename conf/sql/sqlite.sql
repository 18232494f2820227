-- mod_consent: the consent log in SQLite (ConsentLog dbd, DBDriver sqlite3).
--
-- One row per consent decision. Each row's "record" is the JSON line that
-- was hashed; "prev"/"hash" inside it chain every record of one server
-- (ConsentLogChain) to the one before, so an edited, removed or reordered
-- row is detected. The other columns repeat fields of the record so that
-- they can be searched and counted in SQL; "record" is what counts.
-- "services" and "via" (per-service consent, where the choice was made) are
-- in "record" only: tables made for earlier versions need no change.
--
-- Create the database with
--   sqlite3 /var/lib/apache2/consent/consent.db < sqlite.sql
-- SQLite has no roles: access is the file's (and its directory's, for the
-- journal) permissions. The web server's user (www-data) must be able to
-- write both; auditors get read access to a copy or to the file only.
--   chown -R www-data: /var/lib/apache2/consent
-- Several httpd processes write one file: mod_consent waits for SQLite's
-- lock (busy timeout), but for more than one machine use PostgreSQL.
--
-- Times are UTC, stored as text 'YYYY-MM-DD HH:MM:SS[.ffffff]'; "day" is
-- the UTC day of "time" as 'YYYY-MM-DD'.

CREATE TABLE consent_log (
    chain    varchar(64) NOT NULL,  -- the server's ConsentLogChain name
    seq      bigint      NOT NULL,  -- 1, 2, 3 ... within the chain, no gaps
    time     timestamp   NOT NULL,
    day      date        NOT NULL,
    id       varchar(32) NOT NULL,  -- consent id, also in the visitor's cookie
    policy   varchar(64) NOT NULL,
    method   varchar(16) NOT NULL,  -- accept_all, reject_all, custom, withdraw, gpc
    lang     varchar(16) NOT NULL,
    granted  text        NOT NULL,  -- category names separated by single spaces
    refused  text        NOT NULL,
    record   text        NOT NULL,  -- the record line exactly as hashed
    hash     char(64)    NOT NULL,
    PRIMARY KEY (chain, seq)
);

CREATE INDEX consent_log_id ON consent_log (id);
CREATE INDEX consent_log_day ON consent_log (day);
