-- mod_consent: the consent log in PostgreSQL (ConsentLog dbd, DBDriver pgsql).
--
-- One row per consent decision. Each row's "record" is the JSON line that
-- was hashed; "prev"/"hash" inside it chain every record of one server
-- (ConsentLogChain) to the one before, so an edited, removed or reordered
-- row is detected. The other columns repeat fields of the record so that
-- they can be searched and counted in SQL; "record" is what counts.
-- "services" and "via" (per-service consent, where the choice was made) are
-- in "record" only: tables made for earlier versions need no change.
--
-- Load it as the owner of the database, e.g.
--   psql -d consent -f postgresql.sql
--
-- Who needs what:
--   * the web server's role (DBDParams user=...) reads the newest row of its
--     chain and inserts rows: SELECT and INSERT, nothing else. Without UPDATE
--     and DELETE it cannot rewrite history, even if the server is broken into.
--   * an auditor reads: SELECT only.
--   * nobody needs UPDATE or DELETE; remove old rows (retention) as the owner,
--     oldest first, and keep the first remaining row's "prev" as the anchor.
--
--   CREATE ROLE consent_web LOGIN PASSWORD '...';
--   CREATE ROLE consent_audit LOGIN PASSWORD '...';
--   GRANT SELECT, INSERT ON consent_log TO consent_web;
--   GRANT SELECT ON consent_log TO consent_audit;
--
-- Times are UTC. "day" is the UTC day of "time", for counting by day.

CREATE TABLE consent_log (
    chain    varchar(64) NOT NULL,  -- the server's ConsentLogChain name
    seq      bigint      NOT NULL,  -- 1, 2, 3 ... within the chain, no gaps
    time     timestamptz NOT NULL,
    day      date        NOT NULL,
    id       varchar(32) NOT NULL,  -- consent id, also in the visitor's cookie
    policy   varchar(64) NOT NULL,
    method   varchar(16) NOT NULL,  -- accept_all, reject_all, custom, withdraw, gpc
    lang     varchar(16) NOT NULL,
    granted  text        NOT NULL,  -- category names separated by single spaces
    refused  text        NOT NULL,
    record   text        NOT NULL,  -- the record line exactly as hashed
    hash     char(64)    NOT NULL,
    -- Two servers that share a chain name fail loudly here instead of
    -- forking one chain into two.
    PRIMARY KEY (chain, seq)
);

CREATE INDEX consent_log_id ON consent_log (id);
CREATE INDEX consent_log_day ON consent_log (day);
