//! Descriptions shown by `--help`: one line per command and per option.
//! Written for this project; option names and value syntax follow damo.

/// The option groups a command takes but its `--help` leaves out, as
/// (what they set, the `damo help` topic listing them).
pub fn hidden_groups(path: &str) -> &'static [(&'static str, &'static str)] {
    const DAMON: (&str, &str) = (
        "DAMON parameters such as intervals, regions and schemes",
        "damon_param_options all",
    );
    match path {
        "start" | "tune" | "record" | "schemes" => &[DAMON],
        "report access" => &[
            (
                "selecting records, snapshots and regions",
                "access_filter_options",
            ),
            ("output formats", "access_format_options"),
        ],
        _ => &[],
    }
}

/// One-line description of a command path.
pub fn command_about(path: &str) -> &'static str {
    match path {
        "" => "Control DAMON (Data Access MONitor) and show its results",
        "start" => "start DAMON with the given parameters",
        "tune" => "change the parameters of running DAMON",
        "stop" => "stop running DAMON",
        "record" => "record data access patterns and related process information",
        "report" => "show reports of recorded or live data",
        "report access" => "show data access patterns",
        "report damon" => "show the status of running or recorded DAMON",
        "report sysinfo" => "show DAMON-related system information",
        "report record_info" => "show the time and address ranges of a record",
        "report attrs" => "show data attributes (experimental)",
        "report heatmap" => "show when which address ranges were accessed how often",
        "report holistic" => "show an all-in-one report of a record set",
        "report trace" => "show DAMON trace events",
        "report pa_layout" => "show the physical address layout",
        "report wss" => "show the distribution of working set sizes",
        "report footprints" => "show the distribution of memory footprints",
        "report profile" => "show hot functions at times of a given access pattern",
        "report times" => "show times at which a given access pattern was recorded",
        "report nr_regions" => "show the distribution of the number of DAMON regions",
        "replay" => "replay the accesses of a record",
        "module" => "control DAMON kernel modules",
        "module reclaim" | "reclaim" => "control the DAMON_RECLAIM module",
        "module lru_sort" | "lru_sort" => "control the DAMON_LRU_SORT module",
        "module stat" => "control the DAMON_STAT module",
        "module stat read" => "read DAMON_STAT parameters or derived statistics",
        "module stat write" => "write DAMON_STAT parameters",
        "setup_cli_completion" => "set up shell completion for damo",
        "help" => "show help on option groups and format keywords",
        "help damon_param_options" => "list the options that set DAMON parameters",
        "help access_filter_options" => "list the options that filter access records",
        "help access_format_options" => "list the options and keywords of access report formats",
        "args" => "build complex arguments for other commands",
        "args damon" => "print DAMON parameters built from the given options",
        "args accesses_filter" => "print an access record filter built from the given options",
        "args accesses_format" => "print an access report format built from the given options",
        "version" => "print the damo version this tool is compatible with",
        "schemes" => "apply DAMOS schemes until interrupted",
        "monitor" => "record and report data accesses repeatedly",
        "features" => "list the DAMON features the kernel supports",
        "validate" => "check a record file for sanity",
        "adjust" => "re-aggregate or filter a record file",
        "convert_record_format" => "convert a record file to another format",
        "diagnose" => "report whether DAMON is working correctly",
        _ => "",
    }
}

/// The description of option `o` of command `path`.  Options that store
/// `false` into another option's dest (`--exclude_child_tasks`) are
/// described under their own name.
pub fn of_option(path: &str, o: &super::spec_types::OptSpec) -> &'static str {
    let key = match o.act {
        super::spec_types::Act::StoreFalse => o
            .flags
            .iter()
            .find_map(|f| f.strip_prefix("--"))
            .unwrap_or(o.dest),
        _ => o.dest,
    };
    option_help(path, key)
}

/// Description of an option, by command path and destination name.
fn option_help(path: &str, dest: &str) -> &'static str {
    // Options whose meaning depends on the command.
    match (path, dest) {
        ("report heatmap", "output") => {
            return "where to draw: 'stdout' (terminal), 'raw' (numbers), or an image file (.png, .svg, .jpeg, .pdf)";
        }
        ("report heatmap", "input") | ("report record_info", "input") => {
            return "record file(s) to read";
        }
        ("report wss" | "report nr_regions" | "report footprints", "range") => {
            return "percentiles to show, as a Python range";
        }
        ("report wss" | "report nr_regions" | "report footprints", "sortby") => {
            return "sort the values by size (percentiles) or keep them in time order";
        }
        ("report wss" | "report nr_regions" | "report footprints", "plot") => {
            return "draw the distribution into this image file";
        }
        ("features", "type") => return "which features to list",
        ("report footprints", "metric") => return "which footprint to show",
        ("convert_record_format", "format") => return "format to convert to",
        ("report damon", "format") | ("args damon", "format") => return "output format",
        ("report access" | "args accesses_format", "format") => {
            return "set or append to a part of the report's template: <set|append> <area> <template>";
        }
        ("adjust", "output") => return "file to write the adjusted record to",
        ("validate", "record_file_positional") => return "record file (same as --input)",
        _ => {}
    }
    match dest {
        "abs_addr" => "show absolute addresses instead of offsets from the range start",
        "abs_time" => "show absolute times instead of offsets from the range start",
        "acc_thres" => "regions with at least this many access samples count as working set",
        "access_pattern" => "record file of the access pattern",
        "access_rate" => "show only regions whose access rate is in this range",
        "action" => "what to do with the module: show status, enable, disable or commit",
        "add" => "add kdamonds read from this file",
        "address" => "show only regions in this address range",
        "address_range" => {
            "address range to draw: <start> <end> [base]; base 'guided' means the guided start"
        }
        "adjust_region" => "region fields to adjust",
        "age" => "show only regions whose age is in this range",
        "aggr" => "aggregation interval in microseconds",
        "aggregate_interval" => "re-aggregate snapshots to this interval (microseconds)",
        "all_footprint" => "print every footprint instead of percentiles",
        "all_wss" => "print every working set size instead of percentiles",
        "allow_error" => "allowed error rate of intervals, in percent",
        "category" => "which group of DAMON options",
        "cold_min_age" => "minimum age of cold regions, in microseconds",
        "collapse_targets" => "sum all targets of the record into one",
        "per_target" => "report each target of the record separately",
        "context_idx" => "DAMON context index of the record to use",
        "count" => "number of repetitions (0 repeats forever)",
        "damon_addr_unit" => "DAMON address unit in bytes",
        "damon_ctx" => "start the options of a new DAMON context",
        "damon_params" => "show DAMON parameters",
        "damon_params_omit_defaults" => "leave default values out of the parameters",
        "damon_target" => "start the options of a new monitoring target",
        "damos_access_rate" => "access rate range of regions the scheme applies to",
        "damos_action" => {
            "DAMOS action (willneed, cold, pageout, hugepage, collapse, nohugepage, lru_prio, lru_deprio, migrate_hot, migrate_cold, stat); migrate actions also take target node(s)"
        }
        "damos_age" => "age range of regions the scheme applies to",
        "damos_apply_interval" => "how often the scheme is applied, in microseconds",
        "damos_filter" => "DAMOS filter: <allow|reject> [none] <type> [argument]...",
        "damos_max_nr_snapshots" => "stop the scheme after this many snapshots",
        "damos_quota_fail_charge_ratio" => "share of a failed action charged to the quota",
        "damos_quota_goal" => {
            "quota auto-tuning goal: <metric> <target value> [current value | node | path]"
        }
        "damos_quota_goal_tuner" => "algorithm that tunes the quota towards its goals",
        "damos_quota_interval" => "quota reset interval in milliseconds",
        "damos_quota_space" => "size quota in bytes per reset interval",
        "damos_quota_time" => "time quota in milliseconds per reset interval",
        "damos_quota_weights" => "prioritization weights of size, access rate and age, in permil",
        "damos_quotas" => "quotas: <time ms> <size bytes> <reset interval ms> [weights]",
        "damos_scheme" => "start the options of a new DAMOS scheme",
        "damos_stat_fields" => "which scheme statistics to show",
        "damos_stats" => "show DAMOS statistics",
        "damos_sz_region" => "size range of regions the scheme applies to",
        "damos_wmarks" => "watermarks: <metric> <interval us> <high> <mid> <low> (permil)",
        "debug_damon" => "print debugging information about DAMON",
        "deducible_target" => {
            "what to monitor: a command, a pid, 'paddr', or a kdamonds JSON/YAML file or string"
        }
        "delay" => "seconds between repetitions",
        "df_passed" => "show only the parts that passed DAMOS filters",
        "do_record" => "what to record",
        "dont_merge_regions" => "keep adjacent regions with the same access pattern separate",
        "draw_range" => "draw the hottest contiguous address range or all of them",
        "event" => "trace events to show",
        "exclude_samples" => "skip this many snapshots at the start",
        "exclude_child_tasks" => "do not monitor child processes of the targets",
        "exec" => "run this script on each snapshot",
        "exp_ops_use_reports" => "experimental: use access reports",
        "exp_ops_write_only" => "experimental: monitor only writes",
        "footprints" => "memory footprint record file",
        "format" => "output format",
        "guide" => "print the ranges the record covers (raw numbers) and exit",
        "guide_human" => "print the ranges the record covers (human-readable) and exit",
        "hist_cumulate" => "show cumulative histogram values",
        "hist_logscale" => "use a logarithmic histogram scale",
        "hist_ranges" => "ranges of histogram bins",
        "hot_thres_access_freq" => "access frequency above which memory is hot, in permil",
        "idle_time_mem_sz_lines" => "number of lines of the idle time by memory size report",
        "idle_time_percentiles_range" => "percentiles of idle time to show",
        "include_child_tasks" => "also monitor child processes of the targets",
        "infer_version" => "infer the kernel version from the supported features",
        "input" => "input file",
        "input_file" => "read DAMON status from this file instead of the kernel",
        "input_idle_time_percentiles" => "idle time percentiles to use instead of reading them",
        "inputs" => "access record file and profile file",
        "interactive_edit" => "zoom and scroll the heatmap interactively",
        "invalidate_cache" => "detect features again instead of using the cache",
        "json" => "print in JSON",
        "kdamond" => "start the options of a new kdamond",
        "kdamond_idx" => "kdamond index of the record to use",
        "kdamonds_summary" => "show a one-line summary per kdamond",
        "long" => "show the long form",
        "max_cols" => "maximum width of a line",
        "metric" => "which metric",
        "min_age" => "minimum age of regions to reclaim, in microseconds",
        "min_chars_for" => "minimum number of characters per field",
        "monitor_intervals" => "sampling and aggregation intervals in microseconds",
        "monitor_region" => "address range to monitor",
        "monitoring_intervals" => "sampling, aggregation and update intervals",
        "monitoring_intervals_autotune" => {
            "auto-tune the monitoring intervals with the default goal (4% 3 5ms 10s)"
        }
        "monitoring_intervals_goal" => {
            "intervals auto-tuning goal: <access bp> <aggrs> <min sample> <max sample>"
        }
        "monitoring_nr_regions_range" => "minimum and maximum number of monitoring regions",
        "no_event" => "trace events not to show",
        "nr_accesses" => "allowed range of access samples per region",
        "nr_cols_bar" => "width of the bar graph in columns",
        "nr_regions" => "allowed range of the number of regions",
        "numa_addr" => "show the address ranges of this NUMA node",
        "numa_node" => "NUMA node whose memory to monitor",
        "obsolete_targets" => "indices of targets to mark obsolete",
        "omit_damos_tried_regions" => "leave DAMOS tried regions out",
        "omit_defaults" => "leave default values out",
        "ops" => "monitoring operations set",
        "out" => "write the output to this file",
        "output" => "output file",
        "output_file" => "output file (defaults to overwriting the input)",
        "output_flush_sec" => "start a new output file every this many seconds",
        "output_format" => "format in which to print the description",
        "output_permission" => "file mode of the output files, in octal",
        "output_type" => "record file format to write",
        "parameter_value" => "parameter name and value to write",
        "pause_ctx" => "indices of contexts to pause",
        "percentiles_range" => "percentiles to show",
        "perf_path" => "path of the perf program",
        "plot" => "draw into this image file",
        "print" => "which information to show",
        "probe" => "start the options of a new probe",
        "probe_filter" => "probe filter",
        "probe_prep" => "probe preparation action",
        "probe_weight" => "probe weight",
        "profile" => "CPU profile record file",
        "progress_notice_interval" => "seconds between progress messages",
        "quota" => "quota settings",
        "quota_goals_only" => "update only the quota goals",
        "range" => "range to show",
        "raw" => "print numbers in raw (machine-friendly) form",
        "raw_form" => "print regions in the raw start-end-accesses-age form",
        "raw_number" | "raw_numbers" => "show the report's numbers in raw (machine-friendly) form",
        "record_file" => "record file to convert",
        "refresh_stat" => "interval of automatic kdamond statistics refresh, in milliseconds",
        "region_box" => "draw a box per region",
        "region_box_align" => "where to align the region boxes",
        "region_box_colorset" => "colors of the region boxes",
        "region_box_min_max_height" => "minimum and maximum box height",
        "region_box_min_max_length" => "minimum and maximum box length",
        "region_box_scales" => "scales of the box dimensions",
        "region_box_values" => "what the box dimensions show",
        "regions" => "address ranges to monitor: \"<start>-<end> ...\"",
        "regions_boundary" => "address ranges all regions must be within",
        "remove" => "remove a kdamond from this file",
        "repeat" => "repeat the report this many times",
        "replace" => "replace a kdamond in this file",
        "report_type" => "which report to show",
        "resol" => "number of rows (time) and columns (address) of the heatmap",
        "scheme_idx" => "scheme index of the record to use",
        "schemes_target_regions" => "record the regions DAMOS schemes were applied to",
        "show_cpu_usage" => "show CPU usage of kdamonds",
        "skip" => "skip this many snapshots at the start",
        "skip_anon" => "do not reclaim anonymous pages",
        "snapshot" => "take snapshots: <delay seconds> <count>",
        "snapshot_damos_filter" => "DAMOS filter for the snapshot",
        "snapshot_heatmap_colorset" => "colors of the snapshot heatmap",
        "snapshot_heatmap_static" => "use a static snapshot heatmap range",
        "snapshot_heatmap_width" => "width of the snapshot heatmap",
        "snapshot_idx" => "show only snapshots in this index range",
        "snapshot_time" => "show only snapshots in this time range",
        "sort_regions_by" => "sort regions by these fields",
        "sort_regions_dsc" => "sort regions in descending order",
        "sort_temperature" => "lay regions out by temperature instead of address",
        "sortby" => "sort key",
        "stdout_colorset" => "terminal colors for access frequencies",
        "stdout_skip_colorset_example" => "do not print the color legend line",
        "style" => "report style",
        "subtopic" => "which part to show",
        "sz_region" => "show only regions whose size is in this range",
        "sz_snapshot" => "show only snapshots whose total size is in this range",
        "sz_thres" => "regions of at least this size (bytes) count as working set",
        "target" => "what to monitor: a command, a pid, 'paddr' or 'ongoing'",
        "target_pid" => "pid of the process to monitor",
        "temperature" => "show only regions whose temperature is in this range",
        "temperature_weights" => "weights of access frequency and age in the temperature",
        "test_perf" => "measure replay performance",
        "test_perf_runtime" => "runtime of the performance test",
        "test_perf_sz_mem" => "memory size of the performance test",
        "tid" => "target id of the record to use",
        "time_range" => {
            "time range to draw: <start> <end> [base]; base 'guided' or 'guided_end' means the guided start or end"
        }
        "timeout" => "stop after this many seconds",
        "to_read" => "parameters or keywords to read",
        "total_sz_only" => "show only the total size of regions",
        "tracer" => "tracing tool to use",
        "type" => "type",
        "verbose" => "print details",
        "wmarks" => "watermarks settings",
        "work_time" => "combine snapshots into windows of at least this many microseconds",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::spec_types::CmdSpec;

    fn walk(spec: &'static CmdSpec, out: &mut Vec<&'static CmdSpec>) {
        out.push(spec);
        for c in spec.subcmds {
            walk(c, out);
        }
    }

    /// Two options of one command with the same description are a
    /// copy-paste slip (`--exclude_child_tasks` once read as
    /// `--include_child_tasks`), and every shown option has one.
    #[test]
    fn options_have_their_own_descriptions() {
        let mut specs = Vec::new();
        walk(&crate::cli::spec::CMD_ROOT, &mut specs);
        for spec in specs {
            let mut seen = std::collections::HashMap::new();
            for o in spec.opts.iter().filter(|o| !o.hidden) {
                let text = of_option(spec.path, o);
                assert!(
                    !text.is_empty(),
                    "{} {:?}: no description",
                    spec.path,
                    o.flags
                );
                if let Some(other) = seen.insert(text, o.flags) {
                    panic!("{}: {:?} and {other:?} read '{text}'", spec.path, o.flags);
                }
            }
        }
    }
}
