-- mod_consent: the consent log in MySQL / MariaDB (ConsentLog dbd,
-- DBDriver mysql; the driver is in libaprutil1-dbd-mysql).
--
-- One row per consent decision. Each row's "record" is the JSON line that
-- was hashed; "prev"/"hash" inside it chain every record of one server
-- (ConsentLogChain) to the one before, so an edited, removed or reordered
-- row is detected. The other columns repeat fields of the record so that
-- they can be searched and counted in SQL; "record" is what counts.
-- "services" and "via" (per-service consent, where the choice was made) are
-- in "record" only: tables made for earlier versions need no change.
--
-- Load it into the database, e.g.
--   mysql consent < mysql.sql
--
-- Who needs what:
--   * the web server's account (DBDParams user=...) reads the newest row of
--     its chain and inserts rows: SELECT and INSERT, nothing else. Without
--     UPDATE and DELETE it cannot rewrite history.
--   * an auditor reads: SELECT only.
--
--   CREATE USER 'consent_web'@'web.example' IDENTIFIED BY '...';
--   CREATE USER 'consent_audit'@'%' IDENTIFIED BY '...';
--   GRANT SELECT, INSERT ON consent.consent_log TO 'consent_web'@'web.example';
--   GRANT SELECT ON consent.consent_log TO 'consent_audit'@'%';
--
-- InnoDB is required: records are written in transactions. Times are UTC
-- (DATETIME has no time zone; mod_consent writes UTC); "day" is the UTC day
-- of "time".

CREATE TABLE consent_log (
    chain    varchar(64) NOT NULL,  -- the server's ConsentLogChain name
    seq      bigint      NOT NULL,  -- 1, 2, 3 ... within the chain, no gaps
    time     datetime(6) NOT NULL,
    day      date        NOT NULL,
    id       varchar(32) NOT NULL,  -- consent id, also in the visitor's cookie
    policy   varchar(64) NOT NULL,
    method   varchar(16) NOT NULL,  -- accept_all, reject_all, custom, withdraw, gpc
    lang     varchar(16) NOT NULL,
    granted  text        NOT NULL,  -- category names separated by single spaces
    refused  text        NOT NULL,
    record   text        NOT NULL,  -- the record line exactly as hashed
    hash     char(64)    NOT NULL,
    PRIMARY KEY (chain, seq),
    KEY consent_log_id (id),
    KEY consent_log_day (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
