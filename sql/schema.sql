-- =============================================================================
-- mod_pyfarm_jobs -- database schema (PostgreSQL 15)
-- =============================================================================
--
-- WHAT THIS IS
--   The complete set of tables that pyfarm-master 0.8.x (commit ea04bbcb) creates
--   with SQLAlchemy's create_all() on PostgreSQL, with the default (empty)
--   table prefix.  It is a faithful copy of /work/shared/spec/schema.md §6:
--   identical table and column names, column types, nullability and
--   PRIMARY KEY / UNIQUE / FOREIGN KEY constraints.  Constraints are left
--   unnamed on purpose so PostgreSQL gives them its default names
--   (<table>_pkey, <table>_<cols>_key, <table>_<col>_fkey), exactly as in a
--   database pyfarm-master created.  Therefore mod_pyfarm_jobs can serve a
--   database made by this file and a database made by pyfarm-master alike, and
--   pyfarm-master can in turn use a database made by this file.
--
--   mod_pyfarm_jobs needs nothing beyond these tables: no extensions, no
--   functions, no triggers, no views.  The only extra objects it wants are a
--   few plain indexes for speed, kept separately in sql/indexes.sql (see the
--   end of this file).
--
-- THINGS TO KNOW
--   * No DEFAULT clauses.  pyfarm-master applies every column default in the
--     application at INSERT time (schema.md §3), and so does mod_pyfarm_jobs.
--     The only database-side defaults are the sequences behind SERIAL /
--     BIGSERIAL ids (named <table>_id_seq).  agents.id is a UUID the
--     application generates.
--   * No ON DELETE actions except task_log_associations (both FKs CASCADE).
--     Everything else must be deleted explicitly, children first
--     (schema.md §5).
--   * Enums are stored as INTEGER codes (schema.md §2), JSON columns
--     (jobs.data, jobs.environ) as TEXT, IPv4 addresses as BIGINT, timestamps
--     as TIMESTAMP WITHOUT TIME ZONE holding naive UTC.
--   * software_versions."default" must stay quoted (reserved word).
--     jobs.by is a non-reserved keyword in PostgreSQL and is legal unquoted.
--   * The tables are created in foreign-key dependency order.  The statistics
--     tables (task_event_counts, ...) are NOT here: pyfarm keeps them in a
--     separate statistics database that the jobs API does not use.
--   * Table prefix: pyfarm's config key table_prefix defaults to "".  For a
--     non-empty prefix, prepend it to every table name below (and to the
--     REFERENCES targets); constraint and sequence names then follow
--     automatically.
--
-- USAGE (fresh, empty database)
--   psql -v ON_ERROR_STOP=1 -d DB -f sql/schema.sql
--   psql -v ON_ERROR_STOP=1 -d DB -f sql/indexes.sql
--   psql -v ON_ERROR_STOP=1 -d DB -f sql/demo.sql      # optional demo data
--   For a database pyfarm-master already created, skip schema.sql and load
--   only sql/indexes.sql.
-- =============================================================================

BEGIN;

-- ---------------------------------------------------------------------------
-- Tables without foreign keys
-- ---------------------------------------------------------------------------

CREATE TABLE agents (
    id UUID NOT NULL,
    hostname VARCHAR(255) NOT NULL,
    notes TEXT,
    remote_ip BIGINT,                       -- IPv4 a.b.c.d as a*2^24+b*2^16+c*2^8+d
    use_address INTEGER NOT NULL,           -- 310 local, 311 remote, 312 hostname, 313 passive
    os_class INTEGER,                       -- 300 linux, 301 windows, 302 mac, 303 other, 304 bsd
    os_fullname VARCHAR(128),
    ram INTEGER NOT NULL,
    free_ram INTEGER NOT NULL,
    cpus INTEGER NOT NULL,
    cpu_name VARCHAR(128),
    port INTEGER NOT NULL,
    time_offset INTEGER NOT NULL,
    version VARCHAR(16),
    upgrade_to VARCHAR(16),
    restart_requested BOOLEAN NOT NULL,
    state INTEGER NOT NULL,                 -- 200 disabled, 201 offline, 202 online, 203 running
    last_heard_from TIMESTAMP WITHOUT TIME ZONE,
    last_success_on TIMESTAMP WITHOUT TIME ZONE,
    last_polled TIMESTAMP WITHOUT TIME ZONE,
    ram_allocation FLOAT,
    cpu_allocation FLOAT,
    PRIMARY KEY (id),
    UNIQUE (hostname, port, id)
);

CREATE TABLE gpus (
    id SERIAL NOT NULL,
    fullname VARCHAR(128) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (fullname)
);

CREATE TABLE job_queues (
    id BIGSERIAL NOT NULL,
    parent_jobqueue_id BIGINT,              -- NULL = top-level queue
    name VARCHAR(255) NOT NULL,
    minimum_agents INTEGER,
    maximum_agents INTEGER,
    priority INTEGER NOT NULL,
    weight INTEGER NOT NULL,
    fullpath VARCHAR(1024),                 -- cached '/a/b'; NULL = compute from parents
    PRIMARY KEY (id),
    UNIQUE (parent_jobqueue_id, name),
    FOREIGN KEY (parent_jobqueue_id) REFERENCES job_queues (id)
);

CREATE TABLE jobtypes (
    id BIGSERIAL NOT NULL,
    name VARCHAR(64) NOT NULL,
    description TEXT,
    success_subject TEXT,
    success_body TEXT,
    fail_subject TEXT,
    fail_body TEXT,
    PRIMARY KEY (id),
    UNIQUE (name)
);

CREATE TABLE roles (
    id SERIAL NOT NULL,
    active BOOLEAN,
    name VARCHAR(128) NOT NULL,
    expiration TIMESTAMP WITHOUT TIME ZONE,
    description TEXT,
    PRIMARY KEY (id),
    UNIQUE (name)
);

CREATE TABLE software (
    id SERIAL NOT NULL,
    software VARCHAR(64) NOT NULL,          -- the software's name
    PRIMARY KEY (id),
    UNIQUE (software)
);

CREATE TABLE tags (
    id SERIAL NOT NULL,
    tag VARCHAR(64) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (tag)
);

CREATE TABLE users (
    id SERIAL NOT NULL,
    active BOOLEAN,
    username VARCHAR(255) NOT NULL,
    password VARCHAR(64),
    email VARCHAR(255),
    expiration TIMESTAMP WITHOUT TIME ZONE,
    onetime_code VARCHAR(64),
    last_login TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id),
    UNIQUE (username),
    UNIQUE (email)
);

-- ---------------------------------------------------------------------------
-- Tables referencing only the tables above
-- ---------------------------------------------------------------------------

CREATE TABLE agent_disks (
    id SERIAL NOT NULL,
    agent_id UUID NOT NULL,
    mountpoint VARCHAR(255) NOT NULL,
    size BIGINT NOT NULL,
    free BIGINT NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (agent_id) REFERENCES agents (id)
);

-- The UNIQUE duplicating the primary key is what pyfarm creates; keep it.
CREATE TABLE agent_mac_addresses (
    agent_id UUID NOT NULL,
    mac_address BIGINT NOT NULL,            -- 48-bit MAC value
    PRIMARY KEY (agent_id, mac_address),
    UNIQUE (agent_id, mac_address),
    FOREIGN KEY (agent_id) REFERENCES agents (id)
);

CREATE TABLE agent_tag_associations (
    agent_id UUID NOT NULL,
    tag_id INTEGER NOT NULL,
    PRIMARY KEY (agent_id, tag_id),
    FOREIGN KEY (agent_id) REFERENCES agents (id),
    FOREIGN KEY (tag_id) REFERENCES tags (id)
);

CREATE TABLE gpu_agent_associations (
    agent_id UUID NOT NULL,
    gpu_id INTEGER NOT NULL,
    PRIMARY KEY (agent_id, gpu_id),
    FOREIGN KEY (agent_id) REFERENCES agents (id),
    FOREIGN KEY (gpu_id) REFERENCES gpus (id)
);

CREATE TABLE job_groups (
    id BIGSERIAL NOT NULL,
    title VARCHAR(255) NOT NULL,
    main_jobtype_id BIGINT NOT NULL,
    user_id INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY (main_jobtype_id) REFERENCES jobtypes (id),
    FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE jobtype_versions (
    id BIGSERIAL NOT NULL,
    jobtype_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    max_batch INTEGER,
    batch_contiguous BOOLEAN,
    no_automatic_start_time BOOLEAN NOT NULL,
    supports_tiling BOOLEAN,
    classname VARCHAR(64),
    code TEXT NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (jobtype_id, version),
    FOREIGN KEY (jobtype_id) REFERENCES jobtypes (id)
);

CREATE TABLE path_maps (
    id SERIAL NOT NULL,
    path_linux VARCHAR(512) NOT NULL,
    path_windows VARCHAR(512) NOT NULL,
    path_osx VARCHAR(512) NOT NULL,
    tag_id INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY (tag_id) REFERENCES tags (id)
);

CREATE TABLE software_versions (
    id SERIAL NOT NULL,
    software_id INTEGER NOT NULL,
    version VARCHAR(64) NOT NULL,
    rank INTEGER NOT NULL,
    "default" BOOLEAN NOT NULL,
    discovery_code TEXT,
    discovery_function_name VARCHAR(255),
    PRIMARY KEY (id),
    UNIQUE (software_id, version),
    UNIQUE (software_id, rank),
    FOREIGN KEY (software_id) REFERENCES software (id)
);

CREATE TABLE task_logs (
    id SERIAL NOT NULL,
    identifier VARCHAR(255) NOT NULL,       -- also the file name under tasklogs_dir
    agent_id UUID,
    created_on TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id),
    UNIQUE (identifier),
    FOREIGN KEY (agent_id) REFERENCES agents (id)
);

-- No primary key and no unique constraint: that is how pyfarm creates it.
CREATE TABLE user_roles (
    user_id INTEGER,
    role_id INTEGER,
    FOREIGN KEY (user_id) REFERENCES users (id),
    FOREIGN KEY (role_id) REFERENCES roles (id)
);

CREATE TABLE agent_software_version_associations (
    agent_id UUID NOT NULL,
    software_version_id INTEGER NOT NULL,
    PRIMARY KEY (agent_id, software_version_id),
    FOREIGN KEY (agent_id) REFERENCES agents (id),
    FOREIGN KEY (software_version_id) REFERENCES software_versions (id)
);

-- ---------------------------------------------------------------------------
-- Jobs and everything hanging off them
-- ---------------------------------------------------------------------------

CREATE TABLE jobs (
    id BIGSERIAL NOT NULL,
    state INTEGER,                          -- NULL queued, 100 paused, 105 running, 106 done, 107 failed
    priority INTEGER,
    time_submitted TIMESTAMP WITHOUT TIME ZONE,
    time_started TIMESTAMP WITHOUT TIME ZONE,
    time_finished TIMESTAMP WITHOUT TIME ZONE,
    jobtype_version_id BIGINT NOT NULL,
    job_queue_id BIGINT,
    job_group_id BIGINT,
    user_id INTEGER,
    minimum_agents INTEGER,
    maximum_agents INTEGER,
    weight INTEGER NOT NULL,
    title VARCHAR(255) NOT NULL,            -- not unique
    notes TEXT,
    output_link TEXT,
    by NUMERIC(10, 4),                      -- frame step
    num_tiles INTEGER,
    batch INTEGER,
    requeue INTEGER,
    cpus INTEGER,
    ram INTEGER,
    ram_warning INTEGER,
    ram_max INTEGER,
    hidden BOOLEAN NOT NULL,
    environ TEXT,                           -- JSON object text (Python json.dumps style)
    data TEXT,                              -- JSON object text (Python json.dumps style)
    to_be_deleted BOOLEAN NOT NULL,
    completion_notify_sent BOOLEAN NOT NULL,
    autodelete_time INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY (jobtype_version_id) REFERENCES jobtype_versions (id),
    FOREIGN KEY (job_queue_id) REFERENCES job_queues (id),
    FOREIGN KEY (job_group_id) REFERENCES job_groups (id),
    FOREIGN KEY (user_id) REFERENCES users (id)
);

-- The UNIQUE duplicating the primary key is what pyfarm creates; keep it.
CREATE TABLE jobtype_software_requirements (
    software_id INTEGER NOT NULL,
    jobtype_version_id BIGINT NOT NULL,
    min_version_id INTEGER,
    max_version_id INTEGER,
    PRIMARY KEY (software_id, jobtype_version_id),
    UNIQUE (software_id, jobtype_version_id),
    FOREIGN KEY (software_id) REFERENCES software (id),
    FOREIGN KEY (jobtype_version_id) REFERENCES jobtype_versions (id),
    FOREIGN KEY (min_version_id) REFERENCES software_versions (id),
    FOREIGN KEY (max_version_id) REFERENCES software_versions (id)
);

CREATE TABLE job_dependencies (
    parentid BIGINT NOT NULL,               -- the job that must finish first
    childid BIGINT NOT NULL,                -- the dependent job
    PRIMARY KEY (parentid, childid),
    FOREIGN KEY (parentid) REFERENCES jobs (id),
    FOREIGN KEY (childid) REFERENCES jobs (id)
);

CREATE TABLE job_software_requirements (
    id SERIAL NOT NULL,
    software_id INTEGER NOT NULL,
    job_id BIGINT NOT NULL,
    min_version_id INTEGER,
    max_version_id INTEGER,
    PRIMARY KEY (id),
    UNIQUE (software_id, job_id),
    FOREIGN KEY (software_id) REFERENCES software (id),
    FOREIGN KEY (job_id) REFERENCES jobs (id),
    FOREIGN KEY (min_version_id) REFERENCES software_versions (id),
    FOREIGN KEY (max_version_id) REFERENCES software_versions (id)
);

CREATE TABLE job_tag_associations (
    job_id BIGINT NOT NULL,
    tag_id INTEGER NOT NULL,
    PRIMARY KEY (job_id, tag_id),
    FOREIGN KEY (job_id) REFERENCES jobs (id),
    FOREIGN KEY (tag_id) REFERENCES tags (id)
);

CREATE TABLE job_tag_requirements (
    id SERIAL NOT NULL,
    tag_id INTEGER NOT NULL,
    job_id BIGINT NOT NULL,
    negate BOOLEAN NOT NULL,                -- true = agent must NOT have the tag
    PRIMARY KEY (id),
    UNIQUE (tag_id, job_id),
    FOREIGN KEY (tag_id) REFERENCES tags (id),
    FOREIGN KEY (job_id) REFERENCES jobs (id)
);

CREATE TABLE notified_users (
    user_id INTEGER NOT NULL,
    job_id BIGINT NOT NULL,
    on_success BOOLEAN NOT NULL,
    on_failure BOOLEAN NOT NULL,
    on_deletion BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, job_id),
    FOREIGN KEY (user_id) REFERENCES users (id),
    FOREIGN KEY (job_id) REFERENCES jobs (id)
);

CREATE TABLE tasks (
    id BIGSERIAL NOT NULL,
    state INTEGER,                          -- NULL queued, 100 paused, 105 running, 106 done, 107 failed
    priority INTEGER,
    time_submitted TIMESTAMP WITHOUT TIME ZONE,
    time_started TIMESTAMP WITHOUT TIME ZONE,
    time_finished TIMESTAMP WITHOUT TIME ZONE,
    agent_id UUID,                          -- assigned agent
    job_id BIGINT NOT NULL,
    hidden BOOLEAN,
    attempts INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    frame NUMERIC(10, 4) NOT NULL,
    tile INTEGER,
    last_error TEXT,
    sent_to_agent BOOLEAN NOT NULL,
    progress FLOAT,
    PRIMARY KEY (id),
    FOREIGN KEY (agent_id) REFERENCES agents (id),
    FOREIGN KEY (job_id) REFERENCES jobs (id)
);

CREATE TABLE failed_tasks_in_agents (
    agent_id UUID NOT NULL,
    task_id BIGINT NOT NULL,
    PRIMARY KEY (agent_id, task_id),
    FOREIGN KEY (agent_id) REFERENCES agents (id),
    FOREIGN KEY (task_id) REFERENCES tasks (id)
);

-- The only ON DELETE CASCADE foreign keys of the schema.
CREATE TABLE task_log_associations (
    task_log_id INTEGER NOT NULL,
    task_id BIGINT NOT NULL,
    attempt INTEGER NOT NULL,
    state INTEGER,                          -- WorkState, NULL = queued
    PRIMARY KEY (task_log_id, task_id, attempt),
    FOREIGN KEY (task_log_id) REFERENCES task_logs (id) ON DELETE CASCADE,
    FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE
);

COMMIT;

-- =============================================================================
-- Indexes for mod_pyfarm_jobs
-- =============================================================================
-- The indexes mod_pyfarm_jobs' queries need are NOT part of the pyfarm schema
-- and live in a separate file so they can also be added to a database that
-- pyfarm-master created.  Load it right after this file:
--
--     psql -v ON_ERROR_STOP=1 -d DB -f sql/indexes.sql
--
-- It only contains CREATE INDEX IF NOT EXISTS statements and may be run any
-- number of times.
