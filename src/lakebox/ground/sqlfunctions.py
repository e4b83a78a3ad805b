"""The functions users' read-only SQL may call (DuckDB 1.5 spellings), and the ones
that read files, which may only read inside the project's lakehouse folders.

The lists are allow-lists: a function that is on none of them is refused, so a function
added by a later DuckDB (or one of its extensions) stays refused until it is added here.
docs/pg.md ("What SQL may call") names them for users."""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Scalar, aggregate and window functions (and DuckDB's built-in macros) that compute on their
# arguments only: no state, no files, no settings, no sleeping.
SCALAR: frozenset[str] = _names(
    """
    abs acos acosh add age aggregate ago alias any_value apply approx_count_distinct
    approx_quantile approx_top_k arbitrary arg_max arg_max_null arg_max_nulls_last arg_min
    arg_min_null arg_min_nulls_last argmax argmin array array_agg array_aggr array_aggregate
    array_append array_apply array_cat array_concat array_contains array_cosine_distance
    array_cosine_similarity array_cross_product array_distance array_distinct
    array_dot_product array_extract array_filter array_grade_up array_has array_has_all
    array_has_any array_indexof array_inner_product array_intersect array_length
    array_negative_dot_product array_negative_inner_product array_pop_back array_pop_front
    array_position array_prepend array_push_back array_push_front array_reduce array_resize
    array_reverse array_reverse_sort array_select array_slice array_sort array_to_json
    array_to_string array_transform array_unique array_value array_where array_zip ascii
    asin asinh atan atan2 atanh avg bar base64 bin bit_and bit_count bit_length bit_or
    bit_position bit_xor bitstring bitstring_agg bool_and bool_or can_cast_implicitly
    cardinality cast cbrt ceil ceiling century char_length character_length chr coalesce
    columns combine concat concat_ws contains corr cos cosh cot count count_if count_star
    countif covar_pop covar_samp cume_dist current_catalog current_database current_date
    current_localtime current_localtimestamp current_role current_schema current_schemas
    current_time current_timestamp current_user damerau_levenshtein date_add date_diff
    date_part date_sub date_trunc datediff datepart datesub datetrunc day dayname dayofmonth
    dayofweek dayofyear days_in_month decade decode degrees dense_rank divide editdist3
    element_at encode ends_with entropy enum_code enum_first enum_last enum_range
    enum_range_boundary epoch epoch_ms epoch_ns epoch_us era error even exists exp extract
    factorial favg fdiv fill filter finalize first first_value flatten floor fmod format
    format_bytes format_type from_base64 from_binary from_hex from_json from_json_strict
    fsum gamma gcd gen_random_uuid generate_series generate_subscripts geomean
    geometric_mean get_bit get_current_time get_current_timestamp get_type grade_up greatest
    greatest_common_divisor group_concat grouping grouping_id hamming
    has_any_column_privilege has_column_privilege has_database_privilege
    has_foreign_data_wrapper_privilege has_function_privilege has_language_privilege
    has_schema_privilege has_sequence_privilege has_server_privilege has_table_privilege
    has_tablespace_privilege hash hex histogram histogram_exact hour iceberg_bucket
    iceberg_truncate icu_sort_key if iff ifnull instr isfinite isinf isnan isodow isoyear
    jaccard jaro_similarity jaro_winkler_similarity json json_array json_array_length
    json_contains json_exists json_extract json_extract_path json_extract_path_text
    json_extract_string json_group_array json_group_object json_group_structure json_keys
    json_merge_patch json_object json_pretty json_quote json_structure json_transform
    json_transform_strict json_type json_valid json_value julian kahan_sum kurtosis
    kurtosis_pop lag last last_day last_value lcase lcm lead least least_common_multiple
    left left_grapheme len length length_grapheme levenshtein lgamma list list_aggr
    list_aggregate list_any_value list_append list_apply list_approx_count_distinct list_avg
    list_bit_and list_bit_or list_bit_xor list_bool_and list_bool_or list_cat list_concat
    list_contains list_cosine_distance list_cosine_similarity list_count list_distance
    list_distinct list_dot_product list_element list_entropy list_extract list_filter
    list_first list_grade_up list_has list_has_all list_has_any list_histogram list_indexof
    list_inner_product list_intersect list_kurtosis list_kurtosis_pop list_last list_mad
    list_max list_median list_min list_mode list_negative_dot_product
    list_negative_inner_product list_pack list_position list_prepend list_product
    list_reduce list_resize list_reverse list_reverse_sort list_select list_sem
    list_skewness list_slice list_sort list_stddev_pop list_stddev_samp list_string_agg
    list_sum list_transform list_unique list_value list_var_pop list_var_samp list_where
    list_zip listagg ln localtime localtimestamp log log10 log2 lower lpad ltrim mad
    make_date make_time make_timestamp make_timestamp_ms make_timestamp_ns make_timestamptz
    map map_concat map_contains map_contains_entry map_contains_value map_entries
    map_extract map_extract_value map_from_entries map_keys map_values max max_by md5
    md5_number md5_number_lower md5_number_upper mean median microsecond millennium
    millisecond min min_by minute mismatches mod mode month monthname multiply nanosecond
    nextafter nfc_normalize normalized_interval now nth_value ntile nullif octet_length ord
    parse_dirname parse_dirpath parse_filename parse_formatted_bytes parse_path percent_rank
    pg_collation_is_visible pg_conversion_is_visible pg_function_is_visible
    pg_get_constraintdef pg_get_expr pg_get_viewdef pg_has_role pg_opclass_is_visible
    pg_operator_is_visible pg_opfamily_is_visible pg_size_pretty pg_table_is_visible
    pg_ts_config_is_visible pg_ts_dict_is_visible pg_ts_parser_is_visible
    pg_ts_template_is_visible pg_type_is_visible pg_typeof pi position pow power prefix
    printf product quantile quantile_cont quantile_disc quarter radians random range rank
    rank_dense reduce regexp_escape regexp_extract regexp_extract_all regexp_full_match
    regexp_matches regexp_replace regexp_split_to_array regexp_split_to_table regr_avgx
    regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy repeat
    replace reservoir_quantile reverse right right_grapheme round round_even roundbankers
    row row_number row_to_json rpad rtrim second sem session_user set_bit sha1 sha256 sign
    signbit sin sinh skewness split split_part sqrt starts_with stats stddev stddev_pop
    stddev_samp str_split str_split_regex strftime string_agg string_split
    string_split_regex string_to_array strip_accents strlen strpos strptime struct
    struct_concat struct_contains struct_extract struct_extract_at struct_has struct_indexof
    struct_insert struct_keys struct_pack struct_position struct_update struct_values substr
    substring substring_grapheme subtract suffix sum sum_no_overflow sumkahan switch tan
    tanh time_bucket timezone timezone_hour timezone_minute to_base to_base64 to_binary
    to_centuries to_days to_decades to_hex to_hours to_json to_microseconds to_millennia
    to_milliseconds to_minutes to_months to_quarters to_seconds to_timestamp to_weeks
    to_years today transaction_timestamp translate trim trunc try try_cast try_strptime
    typeof ucase unbin unhex unicode union_extract union_tag union_value unnest upper
    url_decode url_encode user uuid uuid_extract_timestamp uuid_extract_version uuidv4
    uuidv7 var_pop var_samp variance variant_extract variant_normalize variant_typeof
    version wavg week weekday weekofyear weighted_avg xor year yearweek
    """
)

# Table functions (in FROM) that read no files.
TABLE: frozenset[str] = _names(
    """
    range generate_series unnest repeat repeat_row json_each json_tree histogram_values
    pg_timezone_names icu_calendar_names duckdb_columns duckdb_constraints duckdb_databases
    duckdb_functions duckdb_indexes duckdb_keywords duckdb_schemas duckdb_sequences
    duckdb_tables duckdb_types duckdb_views pragma_collations pragma_show pragma_table_info
    pragma_version
    """
)

# Table functions that read files: allowed only when every path they are given is a literal
# inside the project's warehouse or landing folders.
FILES: frozenset[str] = _names(
    """
    read_parquet parquet_scan read_csv read_csv_auto sniff_csv read_json read_json_auto
    read_json_objects read_json_objects_auto read_ndjson read_ndjson_auto read_ndjson_objects
    read_avro read_blob read_text glob iceberg_scan iceberg_metadata iceberg_snapshots
    parquet_metadata parquet_schema parquet_file_metadata parquet_kv_metadata
    """
)

# Refused by name (the message says so plainly); everything not allowed above is refused too.
REFUSED: frozenset[str] = _names(
    """
    enable_logging disable_logging enable_profiling disable_profiling truncate_duckdb_logs
    checkpoint force_checkpoint duckdb_secrets which_secret duckdb_settings duckdb_variables
    duckdb_extensions duckdb_memory duckdb_temporary_files duckdb_logs duckdb_log_contexts
    pandas_scan arrow_scan arrow_scan_dumb python_map_function query query_table
    json_execute_serialized_sql nextval currval setseed set_variable getvariable
    current_setting write_log sleep_ms pg_sleep read_duckdb iceberg_to_ducklake
    set_iceberg_table_properties remove_iceberg_table_properties
    set_iceberg_schema_properties remove_iceberg_schema_properties
    """
)

# The macros of the PostgreSQL catalog emulation (in its schema `_lakebox_pg`, which BI tools'
# catalog queries call): `serving.pgwire.catalog.MACROS` defines them, a test keeps the two equal.
PG_CATALOG: frozenset[str] = _names(
    """
    _pg_expandarray array_lower array_upper col_description current_database current_schema
    current_schemas current_setting format_type has_column_privilege has_database_privilege
    has_schema_privilege has_table_privilege obj_description pg_backend_pid
    pg_char_to_encoding pg_collation_is_visible pg_encoding_to_char pg_function_is_visible
    pg_get_constraintdef pg_get_expr pg_get_function_arguments pg_get_function_result
    pg_get_indexdef pg_get_partkeydef pg_get_serial_sequence pg_get_statisticsobjdef_columns
    pg_get_triggerdef pg_get_userbyid pg_get_viewdef pg_has_role pg_is_in_recovery
    pg_postmaster_start_time pg_relation_is_publishable pg_relation_size pg_size_pretty
    pg_table_is_visible pg_table_size pg_tablespace_location pg_total_relation_size
    pg_type_is_visible quote_ident regclass_name regclass_oid regnamespace_name
    regnamespace_oid regproc_name regtype_name shobj_description to_regclass to_regtype
    txid_current version
    """
)
