-- The store's tables. Record tables hold exactly the contract's columns (plus the
-- derived pathway); nothing outside the contract is ever stored.
--
-- Record keys are unique by construction rather than by a PRIMARY KEY: validation
-- refuses a batch with a repeated key, and the upsert inserts only keys not stored
-- (tests check it). DuckDB's key index made the write of a million-case load twice as
-- slow (12.5 s against 6.3 s, measured), and nothing here looks rows up by key.
--
-- The ids of cases and patients are stored uncompressed: they are nearly all distinct, so
-- DuckDB's dictionary + FSST compression gains little on them and its analysis of every
-- segment cost about 0.3 s CPU per million cells at each load (docs/performance.md,
-- "Step 8"). Values and types are the same; only the bytes on disk differ.

create table if not exists cases (
    case_id            varchar using compression uncompressed not null,  -- key
    patient_id         varchar using compression uncompressed not null,
    clinic             varchar not null,
    physician          varchar not null,
    sex                varchar not null,
    age                integer not null,
    bmi                double,
    smoker             boolean,
    diabetes           boolean,
    prior_surgeries    integer,
    index_surgery      varchar not null,
    index_levels       varchar,
    index_surgery_date date not null,
    presentation_date  date not null,
    cause              varchar not null,
    treatment          varchar not null,
    pathway            varchar not null,   -- derived from treatment, never supplied
    treatment_date     date not null,
    -- risk factors for case-mix adjustment (optional; issue 9)
    asa_grade            integer,          -- 1-5
    symptom_months       integer,          -- 0-600
    workers_compensation boolean,
    litigation           boolean,
    depression           boolean
);

-- A store made before the risk factors were in the contract gains them here (at the end,
-- so its column order equals a new store's); its cases keep them blank until reloaded.
alter table cases add column if not exists asa_grade integer;
alter table cases add column if not exists symptom_months integer;
alter table cases add column if not exists workers_compensation boolean;
alter table cases add column if not exists litigation boolean;
alter table cases add column if not exists depression boolean;

create table if not exists assessments (
    case_id         varchar using compression uncompressed not null,
    timepoint       varchar not null,
    assessment_date date not null,
    back_pain       integer,
    leg_pain        integer,
    odi             double,
    eq5d            double,
    opioid_mme      double,
    working         boolean,
    satisfaction    varchar
    -- key: (case_id, timepoint)
);

create table if not exists events (
    case_id    varchar not null,
    event_date date not null,
    event      varchar not null,
    detail     varchar
    -- key: (case_id, event_date, event)
);

-- One row per load attempt, accepted or rejected. Never holds record values.
create table if not exists load_log (
    load_id        integer primary key,
    started_at     timestamp not null,
    finished_at    timestamp not null,
    outcome        varchar not null,      -- accepted | rejected
    mode           varchar not null,      -- upsert | replace
    files          json not null,         -- [{path, table, sha256, rows}]
    counts         json not null,         -- {table: {inserted, updated, unchanged, deleted}}
    n_problems     integer not null,
    dropped_columns json not null         -- [{file, column}] names only
);

-- The most recent rejected batch's report (replaced on each rejection) for the
-- data-quality page. Holds the offending values, as the validate command prints them,
-- but only for contract columns: dropped columns are never echoed.
create table if not exists last_rejection (
    load_id  integer not null,
    file     varchar,
    row      integer,
    "column" varchar,
    value    varchar,
    problem  varchar not null,
    kind     varchar not null
);

create table if not exists ref_causes     (code varchar primary key, label varchar not null, sort integer not null);
create table if not exists ref_pathways   (code varchar primary key, label varchar not null, sort integer not null);
create table if not exists ref_treatments (code varchar primary key, pathway varchar not null, label varchar not null, sort integer not null);
create table if not exists ref_timepoints (code varchar primary key, label varchar not null, days integer not null, sort integer not null);
create table if not exists ref_measures   (code varchar primary key, label varchar not null, unit varchar not null,
                                           low double not null, high double not null, higher_is_better boolean not null, sort integer not null);
create table if not exists ref_events     (code varchar primary key, label varchar not null, sort integer not null);

-- How each clinic's events are captured ("complete" or "at_contact"; see
-- vocabulary.EVENT_CAPTURE_RULES). A clinic without a row uses "complete". Set with
-- `fbss event-capture` or on the Import page; kept by `fbss load --replace`.
create table if not exists clinic_settings (
    clinic        varchar primary key,
    event_capture varchar not null
);
