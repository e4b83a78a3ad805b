"""The functions of the emulated PostgreSQL catalog (`format_type`, `pg_table_is_visible`,
`current_setting`, `version`, …), kept as DuckDB macros in the catalog's private schema."""

from __future__ import annotations

from lakebox.serving.pgwire import types
from lakebox.serving.pgwire.catalog.tables import DATABASE, OWNER, SCHEMA

_VISIBLE = f"""list_contains(
    string_split(replace(current_setting('search_path'), '"', ''), ','),
    (SELECT schema_name FROM {SCHEMA}._relations visible WHERE visible.oid = relation))"""

_CURRENT_SETTING = f"""CASE WHEN lower(setting_name) = 'search_path'
    THEN replace(current_setting('search_path'), ',', ', ')
    ELSE (SELECT setting FROM {SCHEMA}.pg_settings macro_setting
          WHERE macro_setting.name = lower(setting_name)) END"""

# name → (parameters, body); several bodies for one name are overloads.
MACROS: dict[str, list[tuple[str, str]]] = {
    "pg_get_userbyid": [("role", f"'{OWNER}'")],
    "pg_table_is_visible": [("relation", f"coalesce({_VISIBLE}, false)")],
    "pg_type_is_visible": [("type_oid", "true")],
    "pg_collation_is_visible": [("collation_oid", "true")],
    "pg_function_is_visible": [("function_oid", "true")],
    "regtype_name": [
        (
            "type_oid",
            f"""(SELECT sql_name FROM {SCHEMA}._type_names macro_type
                 WHERE macro_type.oid = type_oid)""",
        )
    ],
    "format_type": [
        (
            "type_oid, modifier",
            f"""CASE WHEN type_oid = {types.NUMERIC} AND modifier > 4
                THEN 'numeric(' || ((modifier - 4) >> 16) || ',' || ((modifier - 4) & 65535) || ')'
                ELSE {SCHEMA}.regtype_name(type_oid) END""",
        )
    ],
    "pg_get_expr": [
        ("expression, relation", "NULL::VARCHAR"),
        ("expression, relation, pretty", "NULL::VARCHAR"),
    ],
    "pg_get_constraintdef": [
        ("constraint_oid", "NULL::VARCHAR"),
        ("constraint_oid, pretty", "NULL::VARCHAR"),
    ],
    "pg_get_indexdef": [
        ("index_oid", "NULL::VARCHAR"),
        ("index_oid, column_number, pretty", "NULL::VARCHAR"),
    ],
    "pg_get_viewdef": [("view_oid", "NULL::VARCHAR"), ("view_oid, pretty", "NULL::VARCHAR")],
    "pg_get_triggerdef": [
        ("trigger_oid", "NULL::VARCHAR"),
        ("trigger_oid, pretty", "NULL::VARCHAR"),
    ],
    "pg_get_partkeydef": [("relation", "NULL::VARCHAR")],
    "pg_get_statisticsobjdef_columns": [("statistics_oid", "NULL::VARCHAR")],
    "pg_get_serial_sequence": [("relation, column_name", "NULL::VARCHAR")],
    "pg_get_function_result": [("function_oid", "NULL::VARCHAR")],
    "pg_get_function_arguments": [("function_oid", "NULL::VARCHAR")],
    "pg_tablespace_location": [("tablespace", "''")],
    "obj_description": [
        ("object_oid", "NULL::VARCHAR"),
        ("object_oid, catalog_name", "NULL::VARCHAR"),
    ],
    "shobj_description": [("object_oid, catalog_name", "NULL::VARCHAR")],
    "col_description": [
        (
            "relation, column_number",
            f"""(SELECT description FROM {SCHEMA}.pg_description macro_description
                 WHERE macro_description.objoid = relation
                   AND macro_description.objsubid = column_number)""",
        )
    ],
    "array_upper": [("items, dimension", "CASE WHEN len(items) > 0 THEN len(items) END")],
    "array_lower": [("items, dimension", "CASE WHEN len(items) > 0 THEN 1 END")],
    "to_regtype": [
        (
            "type_name",
            f"""(SELECT oid FROM {SCHEMA}._type_names macro_type
                 WHERE macro_type.typname = type_name OR macro_type.sql_name = type_name)""",
        )
    ],
    "regclass_oid": [
        (
            "relation_name",
            f"""(SELECT named.oid FROM {SCHEMA}._relations named
                 WHERE CASE WHEN contains(relation_name, '.')
                  THEN named.schema_name = replace(split_part(relation_name, '.', 1), '"', '')
                   AND named.relname = replace(split_part(relation_name, '.', 2), '"', '')
                  ELSE named.relname = replace(relation_name, '"', '')
                   AND {SCHEMA}.pg_table_is_visible(named.oid) END)""",
        )
    ],
    "regclass_name": [
        (
            "relation",
            f"(SELECT relname FROM {SCHEMA}._relations macro_rel WHERE macro_rel.oid = relation)",
        )
    ],
    "regnamespace_oid": [
        (
            "schema",
            f"(SELECT oid FROM {SCHEMA}.pg_namespace macro_ns WHERE macro_ns.nspname = schema)",
        )
    ],
    "regnamespace_name": [
        (
            "schema_oid",
            f"(SELECT nspname FROM {SCHEMA}.pg_namespace macro_ns WHERE macro_ns.oid = schema_oid)",
        )
    ],
    "regproc_name": [("function_oid", "NULL::VARCHAR")],
    "to_regclass": [("relation_name", f"{SCHEMA}.regclass_oid(relation_name)")],
    "pg_relation_is_publishable": [("relation", "false")],
    "pg_size_pretty": [("size", "format_bytes(size::BIGINT)")],
    "_pg_expandarray": [("items", "{'x': items[1], 'n': 1}")],  # pgjdbc; pg_index is empty
    "current_setting": [
        ("setting_name", _CURRENT_SETTING),
        ("setting_name, missing_ok", _CURRENT_SETTING),
    ],
    "pg_encoding_to_char": [("encoding", "'UTF8'")],
    "version": [
        (
            "",
            "'PostgreSQL 15.0 (lakebox) on DuckDB ' "
            "|| (SELECT library_version FROM pragma_version())",
        )
    ],
    "current_schema": [
        ("", "string_split(replace(current_setting('search_path'), '\"', ''), ',')[1]")
    ],
    "current_schemas": [
        ("include_implicit", "string_split(replace(current_setting('search_path'), '\"', ''), ',')")
    ],
    "current_database": [("", f"'{DATABASE}'")],
    "pg_backend_pid": [("", "getvariable('lakebox_backend_pid')")],
    "pg_is_in_recovery": [("", "false")],
    "pg_postmaster_start_time": [("", "getvariable('lakebox_started')")],
    "has_table_privilege": [("a, b", "true"), ("a, b, c", "true")],
    "has_schema_privilege": [("a, b", "true"), ("a, b, c", "true")],
    "has_database_privilege": [("a, b", "true"), ("a, b, c", "true")],
    "has_column_privilege": [("a, b, c", "true"), ("a, b, c, d", "true")],
    "pg_has_role": [("a, b", "true"), ("a, b, c", "true")],
    "pg_relation_size": [("relation", "0::BIGINT")],
    "pg_total_relation_size": [("relation", "0::BIGINT")],
    "pg_table_size": [("relation", "0::BIGINT")],
    "txid_current": [("", "1::BIGINT")],
    "quote_ident": [("name", "'\"' || replace(name, '\"', '\"\"') || '\"'")],
    "pg_char_to_encoding": [("name", "6")],
}

FUNCTION_NAMES = frozenset(MACROS)
