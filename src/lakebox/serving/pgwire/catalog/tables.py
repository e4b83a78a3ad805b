"""The tables of the emulated PostgreSQL catalog: `pg_catalog`'s views over DuckDB's metadata,
the catalogs lakebox keeps empty, and `information_schema`'s views; with the names and owner
they show."""

from __future__ import annotations

from lakebox.ground.sql import quote_literal
from lakebox.lakehouse import ZONE_SCHEMAS
from lakebox.serving.pgwire import types

SCHEMA = "_lakebox_pg"
INFORMATION_SCHEMA = "_lakebox_information_schema"
DATABASE = "lakebox"
OWNER_OID = 10
OWNER = "lakebox"
SHOWN_SCHEMAS = (*ZONE_SCHEMAS, "pg_catalog", "information_schema")
_IN_ZONES = "schema_name IN (" + ", ".join(quote_literal(zone) for zone in ZONE_SCHEMAS) + ")"
_SHOWN = "schema_name IN (" + ", ".join(quote_literal(name) for name in SHOWN_SCHEMAS) + ")"
_DATABASE_FILTER = "database_name NOT IN ('system', 'temp')"


def _type_case(column: str) -> str:
    """Return SQL mapping a DuckDB type name in `column` to a PostgreSQL type oid."""
    whens = " ".join(
        f"WHEN {quote_literal(name)} THEN {oid}" for name, oid in types.DUCKDB_TYPES.items()
    )
    decimal = f"WHEN {column} LIKE 'DECIMAL%' THEN {types.NUMERIC}"
    return f"CASE {decimal} ELSE CASE {column} {whens} ELSE {types.TEXT} END END"


# What a session's user may see, as variables of its engine connection say (set by
# `catalog.narrow`): the tables ('zone.table', lower case; '*' for all), those readable only
# in part, and the readable columns of the latter ('zone.table.column'). Before they are set,
# nothing is listed.
VISIBLE, PARTIAL, VISIBLE_COLUMNS = "lakebox_visible", "lakebox_partial", "lakebox_visible_columns"


def _listed(variable: str) -> str:
    return f"coalesce(getvariable('{variable}')::VARCHAR[], []::VARCHAR[])"


def _dotted(*parts: str) -> str:
    return "lower(" + " || '.' || ".join(parts) + ")"


def _visible_table(schema: str, table: str) -> str:
    """Return SQL saying whether the session's user may see the table."""
    shown = _listed(VISIBLE)
    return f"(list_contains({shown}, '*') OR list_contains({shown}, {_dotted(schema, table)}))"


def _visible_column(schema: str, table: str, column: str) -> str:
    """Return SQL saying whether the session's user may see the column of a visible table."""
    partial = f"list_contains({_listed(PARTIAL)}, {_dotted(schema, table)})"
    shown = f"list_contains({_listed(VISIBLE_COLUMNS)}, {_dotted(schema, table, column)})"
    return f"(NOT {partial} OR {shown})"


def _visible_count(schema: str, table: str) -> str:
    """Return SQL counting the columns of a visible table the session's user may see."""
    name = _dotted(schema, table)
    return (
        f"CASE WHEN list_contains({_listed(PARTIAL)}, {name}) THEN len(list_filter("
        f"{_listed(VISIBLE_COLUMNS)}, lambda c: starts_with(c, {name} || '.'))) "
        "ELSE column_count END"
    )


# A table's oid is a hash of its name: DuckDB's own changes whenever a view is re-pointed
# at a new snapshot, and clients look tables up again by the oid they were given.
_STABLE_OID = "(hash(schema_name || '.' || {name}) % 1000000000)::BIGINT + 100000"
_RELATIONS = f"""
SELECT {_STABLE_OID.format(name="view_name")} AS oid, view_oid AS duckdb_oid,
       view_name AS relname, schema_oid AS relnamespace, schema_name,
       {_visible_count("schema_name", "view_name")} AS relnatts
FROM duckdb_views() WHERE {_IN_ZONES} AND {_DATABASE_FILTER} AND NOT internal
  AND {_visible_table("schema_name", "view_name")}
UNION ALL
SELECT {_STABLE_OID.format(name="table_name")}, table_oid, table_name, schema_oid,
       schema_name, {_visible_count("schema_name", "table_name")}
FROM duckdb_tables() WHERE {_IN_ZONES} AND {_DATABASE_FILTER} AND NOT internal
  AND {_visible_table("schema_name", "table_name")}
"""

_COLUMNS = f"""
SELECT r.oid AS attrelid, c.column_name AS attname, c.column_index AS attnum,
       {_type_case("c.data_type")} AS atttypid,
       CASE WHEN c.data_type LIKE 'DECIMAL%'
            THEN ((c.numeric_precision << 16) | c.numeric_scale) + 4 ELSE -1 END AS atttypmod,
       NOT c.is_nullable AS attnotnull, c.schema_name, c.table_name, c.data_type
FROM duckdb_columns() c JOIN {SCHEMA}._relations r ON r.duckdb_oid = c.table_oid
WHERE {_visible_column("c.schema_name", "c.table_name", "c.column_name")}
"""

# name → the view's SELECT, in creation order (later ones may use earlier ones).
VIEWS: dict[str, str] = {
    "_relations": _RELATIONS,
    "_columns": _COLUMNS,
    "pg_namespace": f"""
        SELECT oid, schema_name AS nspname, {OWNER_OID} AS nspowner,
               NULL::VARCHAR[] AS nspacl
        FROM duckdb_schemas()
        WHERE {_SHOWN} AND database_name <> 'temp'
          AND NOT (database_name = 'system' AND schema_name = 'main')""",
    "pg_class": f"""
        SELECT oid, relname, relnamespace, 0 AS reltype, 0 AS reloftype,
               {OWNER_OID} AS relowner, 0 AS relam, 0 AS relfilenode, 0 AS reltablespace,
               0 AS relpages, -1::FLOAT AS reltuples, 0 AS relallvisible, 0 AS reltoastrelid,
               false AS relhasindex, false AS relisshared, 'p' AS relpersistence,
               'r' AS relkind, relnatts::SMALLINT AS relnatts, 0::SMALLINT AS relchecks,
               false AS relhasrules, false AS relhastriggers, false AS relhassubclass,
               false AS relrowsecurity, false AS relforcerowsecurity, true AS relispopulated,
               'd' AS relreplident, false AS relispartition, 0 AS relrewrite,
               0 AS relfrozenxid, 0 AS relminmxid, NULL::VARCHAR[] AS relacl,
               NULL::VARCHAR[] AS reloptions, NULL::VARCHAR AS relpartbound
        FROM {SCHEMA}._relations""",
    "pg_attribute": f"""
        SELECT attrelid, attname, atttypid, 0 AS attstattarget,
               coalesce((SELECT typlen FROM {SCHEMA}.pg_type t WHERE t.oid = atttypid), -1)
                   AS attlen,
               attnum::SMALLINT AS attnum, 0 AS attndims, -1 AS attcacheoff, atttypmod,
               false AS attbyval, 'i' AS attalign, 'p' AS attstorage, '' AS attcompression,
               attnotnull, false AS atthasdef, false AS atthasmissing, '' AS attidentity,
               '' AS attgenerated, false AS attisdropped, true AS attislocal,
               0 AS attinhcount, 0 AS attcollation, NULL::VARCHAR[] AS attacl,
               NULL::VARCHAR[] AS attoptions, NULL::VARCHAR[] AS attfdwoptions,
               NULL::VARCHAR AS attmissingval
        FROM {SCHEMA}._columns""",
    "pg_description": f"""
        SELECT c.attrelid AS objoid, 1259 AS classoid, c.attnum AS objsubid, d.description
        FROM {SCHEMA}._columns c JOIN {SCHEMA}._descriptions d
          ON d.schema_name = c.schema_name AND d.table_name = c.table_name
         AND d.column_name = c.attname""",
    "pg_database": f"""
        SELECT 1 AS oid, '{DATABASE}' AS datname, {OWNER_OID} AS datdba, 6 AS encoding,
               'c' AS datlocprovider, false AS datistemplate, true AS datallowconn,
               -1 AS datconnlimit, 0 AS datfrozenxid, 0 AS datminmxid,
               0 AS dattablespace, 'C' AS datcollate, 'C' AS datctype,
               NULL::VARCHAR AS daticulocale, NULL::VARCHAR AS datlocale,
               NULL::VARCHAR AS daticurules, NULL::VARCHAR AS datcollversion,
               NULL::VARCHAR[] AS datacl""",
    "pg_roles": f"""
        SELECT {OWNER_OID} AS oid, '{OWNER}' AS rolname, true AS rolsuper, false AS rolinherit,
               false AS rolcreaterole, false AS rolcreatedb, true AS rolcanlogin,
               false AS rolreplication, -1 AS rolconnlimit, '********' AS rolpassword,
               NULL::TIMESTAMPTZ AS rolvaliduntil, false AS rolbypassrls,
               NULL::VARCHAR[] AS rolconfig""",
    "pg_user": f"""
        SELECT '{OWNER}' AS usename, {OWNER_OID} AS usesysid, false AS usecreatedb,
               true AS usesuper, false AS userepl, false AS usebypassrls,
               '********' AS passwd, NULL::TIMESTAMPTZ AS valuntil,
               NULL::VARCHAR[] AS useconfig""",
    "pg_tables": f"""
        SELECT n.nspname AS schemaname, c.relname AS tablename, '{OWNER}' AS tableowner,
               NULL::VARCHAR AS tablespace, false AS hasindexes, false AS hasrules,
               false AS hastriggers, false AS rowsecurity
        FROM {SCHEMA}.pg_class c JOIN {SCHEMA}.pg_namespace n ON n.oid = c.relnamespace""",
}
VIEWS["pg_authid"] = VIEWS["pg_roles"]

# name → columns of catalogs lakebox keeps empty (no indexes, constraints, functions, …).
EMPTY: dict[str, str] = {
    "pg_index": "indexrelid BIGINT, indrelid BIGINT, indnatts SMALLINT, indnkeyatts SMALLINT,"
    " indisunique BOOLEAN, indnullsnotdistinct BOOLEAN, indisprimary BOOLEAN,"
    " indisexclusion BOOLEAN, indimmediate BOOLEAN, indisclustered BOOLEAN,"
    " indisvalid BOOLEAN, indcheckxmin BOOLEAN, indisready BOOLEAN, indislive BOOLEAN,"
    " indisreplident BOOLEAN, indkey SMALLINT[], indcollation BIGINT[], indclass BIGINT[],"
    " indoption SMALLINT[], indexprs VARCHAR, indpred VARCHAR",
    "pg_constraint": "oid BIGINT, conname VARCHAR, connamespace BIGINT, contype VARCHAR,"
    " condeferrable BOOLEAN, condeferred BOOLEAN, convalidated BOOLEAN, conrelid BIGINT,"
    " contypid BIGINT, conindid BIGINT, conparentid BIGINT, confrelid BIGINT,"
    " confupdtype VARCHAR, confdeltype VARCHAR, confmatchtype VARCHAR, conislocal BOOLEAN,"
    " coninhcount INTEGER, connoinherit BOOLEAN, conkey SMALLINT[], confkey SMALLINT[],"
    " conpfeqop BIGINT[], conppeqop BIGINT[], conffeqop BIGINT[], confdelsetcols SMALLINT[],"
    " conexclop BIGINT[], conbin VARCHAR",
    "pg_attrdef": "oid BIGINT, adrelid BIGINT, adnum SMALLINT, adbin VARCHAR",
    "pg_inherits": "inhrelid BIGINT, inhparent BIGINT, inhseqno INTEGER, inhdetachpending BOOLEAN",
    "pg_sequence": "seqrelid BIGINT, seqtypid BIGINT, seqstart BIGINT, seqincrement BIGINT,"
    " seqmax BIGINT, seqmin BIGINT, seqcache BIGINT, seqcycle BOOLEAN",
    "pg_enum": "oid BIGINT, enumtypid BIGINT, enumsortorder FLOAT, enumlabel VARCHAR",
    "pg_collation": "oid BIGINT, collname VARCHAR, collnamespace BIGINT, collowner BIGINT,"
    " collprovider VARCHAR, collisdeterministic BOOLEAN, collencoding INTEGER,"
    " collcollate VARCHAR, collctype VARCHAR",
    "pg_proc": "oid BIGINT, proname VARCHAR, pronamespace BIGINT, proowner BIGINT,"
    " prolang BIGINT, prokind VARCHAR, prorettype BIGINT, proargtypes BIGINT[],"
    " proretset BOOLEAN, pronargs SMALLINT",
    "pg_trigger": "oid BIGINT, tgrelid BIGINT, tgname VARCHAR, tgfoid BIGINT, tgtype SMALLINT,"
    " tgenabled VARCHAR, tgisinternal BOOLEAN, tgparentid BIGINT",
    "pg_rewrite": "oid BIGINT, rulename VARCHAR, ev_class BIGINT, ev_type VARCHAR",
    "pg_policy": "oid BIGINT, polname VARCHAR, polrelid BIGINT, polcmd VARCHAR,"
    " polpermissive BOOLEAN, polroles BIGINT[], polqual VARCHAR, polwithcheck VARCHAR",
    "pg_publication": "oid BIGINT, pubname VARCHAR, puballtables BOOLEAN, pubviaroot BOOLEAN",
    "pg_publication_rel": "oid BIGINT, prpubid BIGINT, prrelid BIGINT, prqual VARCHAR,"
    " prattrs SMALLINT[]",
    "pg_publication_namespace": "oid BIGINT, pnpubid BIGINT, pnnspid BIGINT",
    "pg_statistic_ext": "oid BIGINT, stxrelid BIGINT, stxname VARCHAR, stxnamespace BIGINT,"
    " stxowner BIGINT, stxstattarget INTEGER, stxkeys SMALLINT[], stxkind VARCHAR[]",
    "pg_foreign_table": "ftrelid BIGINT, ftserver BIGINT, ftoptions VARCHAR[]",
    "pg_partitioned_table": "partrelid BIGINT, partstrat VARCHAR, partnatts SMALLINT",
    "pg_depend": "classid BIGINT, objid BIGINT, objsubid INTEGER, refclassid BIGINT,"
    " refobjid BIGINT, refobjsubid INTEGER, deptype VARCHAR",
    "pg_am": "oid BIGINT, amname VARCHAR, amhandler BIGINT, amtype VARCHAR",
    "pg_opclass": "oid BIGINT, opcmethod BIGINT, opcname VARCHAR, opcnamespace BIGINT,"
    " opcdefault BOOLEAN",
    "pg_range": "rngtypid BIGINT, rngsubtype BIGINT, rngmultitypid BIGINT",
    "pg_extension": "oid BIGINT, extname VARCHAR, extowner BIGINT, extnamespace BIGINT,"
    " extversion VARCHAR",
    "pg_auth_members": "oid BIGINT, roleid BIGINT, member BIGINT, grantor BIGINT,"
    " admin_option BOOLEAN",
    "pg_tablespace": "oid BIGINT, spcname VARCHAR, spcowner BIGINT",
    "pg_shdescription": "objoid BIGINT, classoid BIGINT, description VARCHAR",
    "pg_matviews": "schemaname VARCHAR, matviewname VARCHAR, matviewowner VARCHAR,"
    " definition VARCHAR",
    "pg_views": "schemaname VARCHAR, viewname VARCHAR, viewowner VARCHAR, definition VARCHAR",
    "pg_stat_activity": "datid BIGINT, datname VARCHAR, pid INTEGER, usename VARCHAR,"
    " application_name VARCHAR, state VARCHAR, query VARCHAR",
}

INFORMATION_VIEWS: dict[str, str] = {
    "schemata": f"""
        SELECT '{DATABASE}' AS catalog_name, nspname AS schema_name,
               '{OWNER}' AS schema_owner, NULL::VARCHAR AS default_character_set_catalog,
               NULL::VARCHAR AS default_character_set_schema,
               NULL::VARCHAR AS default_character_set_name, NULL::VARCHAR AS sql_path
        FROM {SCHEMA}.pg_namespace""",
    "tables": f"""
        SELECT '{DATABASE}' AS table_catalog, schema_name AS table_schema,
               relname AS table_name, 'BASE TABLE' AS table_type,
               NULL::VARCHAR AS self_referencing_column_name,
               NULL::VARCHAR AS reference_generation, NULL::VARCHAR AS user_defined_type_catalog,
               NULL::VARCHAR AS user_defined_type_schema, NULL::VARCHAR AS user_defined_type_name,
               'NO' AS is_insertable_into, 'NO' AS is_typed, NULL::VARCHAR AS commit_action
        FROM {SCHEMA}._relations""",
    "columns": f"""
        SELECT '{DATABASE}' AS table_catalog, schema_name AS table_schema, table_name,
               attname AS column_name, attnum AS ordinal_position,
               NULL::VARCHAR AS column_default,
               CASE WHEN attnotnull THEN 'NO' ELSE 'YES' END AS is_nullable,
               CASE WHEN atttypid = {types.NUMERIC} THEN 'numeric'
                    ELSE {SCHEMA}.format_type(atttypid, -1) END AS data_type,
               NULL::INTEGER AS character_maximum_length,
               CASE WHEN atttypmod > 4 THEN (atttypmod - 4) >> 16 END AS numeric_precision,
               CASE WHEN atttypmod > 4 THEN 10 END AS numeric_precision_radix,
               CASE WHEN atttypmod > 4 THEN (atttypmod - 4) & 65535 END AS numeric_scale,
               NULL::INTEGER AS datetime_precision,
               (SELECT typname FROM {SCHEMA}.pg_type t WHERE t.oid = atttypid) AS udt_name,
               'NO' AS is_identity, 'NEVER' AS is_generated, 'NO' AS is_updatable
        FROM {SCHEMA}._columns""",
    "views": f"""
        SELECT '{DATABASE}' AS table_catalog, NULL::VARCHAR AS table_schema,
               NULL::VARCHAR AS table_name, NULL::VARCHAR AS view_definition LIMIT 0""",
    "table_constraints": """
        SELECT NULL::VARCHAR AS constraint_catalog, NULL::VARCHAR AS constraint_schema,
               NULL::VARCHAR AS constraint_name, NULL::VARCHAR AS table_catalog,
               NULL::VARCHAR AS table_schema, NULL::VARCHAR AS table_name,
               NULL::VARCHAR AS constraint_type LIMIT 0""",
    "key_column_usage": """
        SELECT NULL::VARCHAR AS constraint_catalog, NULL::VARCHAR AS constraint_schema,
               NULL::VARCHAR AS constraint_name, NULL::VARCHAR AS table_catalog,
               NULL::VARCHAR AS table_schema, NULL::VARCHAR AS table_name,
               NULL::VARCHAR AS column_name, NULL::INTEGER AS ordinal_position LIMIT 0""",
    "routines": """
        SELECT NULL::VARCHAR AS routine_catalog, NULL::VARCHAR AS routine_schema,
               NULL::VARCHAR AS routine_name, NULL::VARCHAR AS routine_type LIMIT 0""",
}

# the names a client's SQL may use: these views and tables, and the two `install` fills
CATALOG_NAMES = frozenset({*VIEWS, *EMPTY, "pg_type", "pg_settings"}) - {"_relations", "_columns"}
INFORMATION_NAMES = frozenset(INFORMATION_VIEWS)
