-- Two counters that say when what the web app reads has changed, so that each instance
-- may keep answers in memory and know, with the one query that checks the session, whether
-- they are still current. `catalog` counts changes to catalogs, packages, policies,
-- connected organisations and settings; `data` counts every change that any page shows
-- (and so also the catalog's). Triggers bump them in the writing transaction itself (they
-- are installed per backend in `db::migrate`, which also checks that every table is
-- either counted or named as not shown), so a change committed by any instance, job or
-- command is seen by every instance's next request.
CREATE TABLE data_versions (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data BIGINT NOT NULL,
    catalog BIGINT NOT NULL
);
INSERT INTO data_versions (id, data, catalog) VALUES (1, 0, 0);
