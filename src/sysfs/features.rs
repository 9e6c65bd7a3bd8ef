//! DAMON features: which kernel version added what, and what the running
//! kernel supports, found passively (files present, `avail_operations`,
//! the kernel version as a fallback).  Never stages probe kdamonds, so it
//! never disturbs a kdamond that belongs to someone else.

use super::Sysfs;

/// A kernel version, `(major, minor)`.
pub type Version = (u32, u32);

/// A DAMON feature: damo's name, and the mainline version that merged it
/// (`None`: not in mainline yet).
pub struct Feature {
    pub name: &'static str,
    pub since: Option<Version>,
}

const fn f(name: &'static str, major: u32, minor: u32) -> Feature {
    Feature {
        name,
        since: Some((major, minor)),
    }
}

const fn nf(name: &'static str) -> Feature {
    Feature { name, since: None }
}

/// The sysfs-interface features, oldest first.
pub const FEATURES: &[Feature] = &[
    f("sysfs/schemes", 5, 18),
    f("sysfs/init_regions", 5, 18),
    f("sysfs/vaddr", 5, 18),
    f("sysfs/paddr", 5, 18),
    f("sysfs/schemes_size_quota", 5, 18),
    f("sysfs/schemes_time_quota", 5, 18),
    f("sysfs/schemes_prioritization", 5, 18),
    f("sysfs/schemes_wmarks", 5, 18),
    f("sysfs/schemes_stat_succ", 5, 18),
    f("sysfs/schemes_stat_qt_exceed", 5, 18),
    f("sysfs/avail_ops", 5, 19),
    f("sysfs/fvaddr", 5, 19),
    f("sysfs/online_params_commit", 5, 19),
    f("sysfs/lru_sort", 6, 0),
    f("sysfs/schemes_tried_regions", 6, 2),
    f("sysfs/schemes_filters", 6, 3),
    f("sysfs/schemes_filters_anon", 6, 3),
    f("sysfs/schemes_filters_memcg", 6, 3),
    f("sysfs/schemes_tried_regions_sz", 6, 6),
    f("sysfs/schemes_filters_addr", 6, 6),
    f("sysfs/schemes_filters_target", 6, 6),
    f("sysfs/schemes_apply_interval", 6, 7),
    f("sysfs/schemes_quota_goals", 6, 8),
    f("sysfs/schemes_quota_effective_bytes", 6, 9),
    f("sysfs/schemes_quota_goal_metric", 6, 9),
    f("sysfs/schemes_quota_goal_some_psi", 6, 9),
    f("sysfs/schemes_filters_young", 6, 10),
    f("sysfs/schemes_migrate", 6, 11),
    f("sysfs/sz_ops_filter_passed", 6, 14),
    f("sysfs/allow_filter", 6, 14),
    f("sysfs/schemes_filters_hugepage_size", 6, 15),
    f("sysfs/schemes_filters_unmapped", 6, 15),
    f("sysfs/intervals_goal", 6, 15),
    f("sysfs/schemes_filters_core_ops_dirs", 6, 15),
    f("sysfs/schemes_filters_active", 6, 15),
    f("sysfs/schemes_quota_goal_node_mem_used_free", 6, 16),
    f("sysfs/schemes_dests", 6, 17),
    f("sysfs/refresh_ms", 6, 17),
    f("sysfs/addr_unit", 6, 18),
    f("sysfs/schemes_quota_goal_node_memcg_used_free", 6, 19),
    f("sysfs/obsolete_target", 6, 19),
    f("sysfs/damos_stat_nr_snapshots", 7, 0),
    f("sysfs/damos_max_nr_snapshots", 7, 0),
    f("sysfs/damos_quota_goal_in_active_mem_bp", 7, 0),
    f("sysfs/damos_quota_goal_tuner", 7, 1),
    f("sysfs/damos_action_collapse", 7, 2),
    f("sysfs/damos_quota_goal_node_eligible_mem_bp", 7, 2),
    f("sysfs/ctx_pause", 7, 2),
    f("sysfs/damos_quota_fail_charge_ratio", 7, 2),
    f("sysfs/attrs_monitoring", 7, 2),
    f("sysfs/probe_type_anon", 7, 2),
    f("sysfs/probe_type_memcg", 7, 2),
    f("sysfs/probe_weights", 7, 3),
    nf("sysfs/probe_preps"),
    nf("sysfs/probe_prep_set_pgidle"),
    nf("sysfs/probe_type_pgidle_unset"),
    nf("sysfs/probe_type_pgidle_set"),
    nf("sysfs/damos_filter_probe_hits_wsum"),
    nf("sysfs/probe_type_hugepage_size"),
    nf("sysfs/damos_quota_goal_complement"),
    nf("sysfs/ops_attrs"),
    nf("sysfs/damon_sample_control"),
];

/// Where a feature stands upstream, as damo 3.4.3 reports it.
pub struct Upstream {
    pub name: &'static str,
    /// `merged in v6.3-rc1 (d56fe24237c3d)`, `withdrawn`, ...
    pub status: &'static str,
    /// The release that has it (`6.3`), `none` where no release does.
    pub version: &'static str,
    /// A note shown under the feature; empty for most.
    pub comment: &'static str,
}

const fn u(
    name: &'static str,
    status: &'static str,
    version: &'static str,
    comment: &'static str,
) -> Upstream {
    Upstream {
        name,
        status,
        version,
        comment,
    }
}

/// Every feature damo knows, in damo's order (by when it went upstream):
/// the versions and commits are the kernel's history.
pub const UPSTREAM: &[Upstream] = &[
    u(
        "debugfs/record",
        "withdrawn",
        "none",
        "proposed with the DAMON patch series; never merged upstream",
    ),
    u("debugfs/vaddr", "merged in v5.15", "5.15", ""),
    u(
        "trace/damon_aggregated",
        "merged in v5.15 (2fcb93629ad8)",
        "5.15",
        "",
    ),
    u(
        "interface/damon_debugfs",
        "merged in v5.15-rc1 (4bc05954d007)",
        "5.15",
        "",
    ),
    u("debugfs/schemes", "merged in v5.16", "5.16", ""),
    u(
        "debugfs/init_regions",
        "merged in v5.16 (90bebce9fcd6)",
        "5.16",
        "",
    ),
    u(
        "debugfs/paddr",
        "merged in v5.16 (a28397beb55b)",
        "5.16",
        "",
    ),
    u(
        "debugfs/schemes_size_quota",
        "merged in v5.16 (2b8a248d5873)",
        "5.16",
        "",
    ),
    u(
        "debugfs/schemes_time_quota",
        "merged in v5.16 (1cd243030059)",
        "5.16",
        "",
    ),
    u(
        "debugfs/schemes_prioritization",
        "merged in v5.16 (38683e003153)",
        "5.16",
        "",
    ),
    u(
        "debugfs/schemes_wmarks",
        "merged in v5.16 (ee801b7dd782)",
        "5.16",
        "",
    ),
    u(
        "interface/damon_reclaim",
        "merged in v5.16-rc1 (43b0536cb471)",
        "5.16",
        "",
    ),
    u(
        "debugfs/schemes_stat_succ",
        "merged in v5.17 (0e92c2ee9f45)",
        "5.17",
        "",
    ),
    u(
        "debugfs/schemes_stat_qt_exceed",
        "merged in v5.17 (0e92c2ee9f45)",
        "5.17",
        "",
    ),
    u(
        "reclaim/stats",
        "merged in v5.17-rc1 (0e92c2ee9f45)",
        "5.17",
        "",
    ),
    u(
        "debugfs/init_regions_target_idx",
        "merged in v5.18 (144760f8e0c3)",
        "5.18",
        "",
    ),
    u(
        "interface/damon_sysfs",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/vaddr",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/schemes_time_quota",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/paddr",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/init_regions",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/schemes",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/schemes_stat_succ",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/schemes_size_quota",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/schemes_stat_qt_exceed",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/schemes_wmarks",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/schemes_prioritization",
        "merged in v5.18-rc1 (c951cd3b8901)",
        "5.18",
        "",
    ),
    u(
        "sysfs/avail_ops",
        "merged in v5.19 (0f2cb5885771b)",
        "5.19",
        "",
    ),
    u("sysfs/fvaddr", "merged in v5.19 (b82434471cd2)", "5.19", ""),
    u(
        "sysfs/online_params_commit",
        "merged in v5.19 (adc286e6bdd3)",
        "5.19",
        "",
    ),
    u(
        "reclaim/commit_inputs",
        "merged in v5.19 (81a84182c3430)",
        "5.19",
        "",
    ),
    u(
        "interface/damon_lru_sort",
        "merged in v6.0-rc1 (40e983cca927)",
        "6.0",
        "",
    ),
    u(
        "sysfs/schemes_tried_regions",
        "merged in v6.2-rc1",
        "6.2",
        "",
    ),
    u("sysfs/schemes_filters", "merged in v6.3-rc1", "6.3", ""),
    u(
        "sysfs/schemes_filters_anon",
        "merged in v6.3-rc1",
        "6.3",
        "",
    ),
    u(
        "sysfs/schemes_filters_memcg",
        "merged in v6.3-rc1",
        "6.3",
        "",
    ),
    u(
        "reclaim/skip_anon",
        "merged in v6.3-rc1 (d56fe24237c3d)",
        "6.3",
        "",
    ),
    u(
        "sysfs/schemes_tried_regions_sz",
        "merged in v6.6-rc1",
        "6.6",
        "",
    ),
    u(
        "sysfs/schemes_filters_addr",
        "merged in v6.6-rc1",
        "6.6",
        "",
    ),
    u(
        "sysfs/schemes_filters_target",
        "merged in v6.6-rc1",
        "6.6",
        "",
    ),
    u(
        "sysfs/schemes_apply_interval",
        "merged in v6.7-rc1",
        "6.7",
        "",
    ),
    u(
        "trace/damos_before_apply",
        "merged in v6.7-rc1 (c603c630b509)",
        "6.7",
        "",
    ),
    u("sysfs/schemes_quota_goals", "merged in v6.8-rc1", "6.8", ""),
    u(
        "sysfs/schemes_quota_effective_bytes",
        "merged in v6.9-rc1",
        "6.9",
        "",
    ),
    u(
        "sysfs/schemes_quota_goal_metric",
        "merged in v6.9-rc1",
        "6.9",
        "",
    ),
    u(
        "sysfs/schemes_quota_goal_some_psi",
        "merged in v6.9-rc1",
        "6.9",
        "",
    ),
    u(
        "reclaim/quota_mem_pressure_us",
        "merged in v6.9-rc1 (75c40c2509e79)",
        "6.9",
        "",
    ),
    u(
        "reclaim/quota_user_feedback",
        "merged in v6.9-rc1 (75c40c2509e79)",
        "6.9",
        "",
    ),
    u(
        "sysfs/schemes_filters_young",
        "merged in v6.10-rc1",
        "6.10",
        "",
    ),
    u("sysfs/schemes_migrate", "merged in v6.11-rc1", "6.11", ""),
    u(
        "sysfs/sz_ops_filter_passed",
        "merged in v6.14-rc1 (626ffabe67c2)",
        "6.14",
        "",
    ),
    u("sysfs/allow_filter", "merged in v6.14-rc1", "6.14", ""),
    u(
        "sysfs/schemes_filters_hugepage_size",
        "merged in v6.15-rc1 (0431c4262261)",
        "6.15",
        "",
    ),
    u(
        "sysfs/schemes_filters_unmapped",
        "merged in v6.15-rc1",
        "6.15",
        "",
    ),
    u(
        "sysfs/intervals_goal",
        "merged in v6.15-rc1 (1eb3471bf574)",
        "6.15",
        "",
    ),
    u(
        "sysfs/schemes_filters_core_ops_dirs",
        "merged in v6.15-rc1",
        "6.15",
        "",
    ),
    u(
        "sysfs/schemes_filters_active",
        "merged in v6.15-rc1 (3b23a44f1f19)",
        "6.15",
        "",
    ),
    u(
        "sysfs/schemes_quota_goal_node_mem_used_free",
        "merged in v6.16-rc1 (0e1c773b501f)",
        "6.16",
        "",
    ),
    u(
        "sysfs/schemes_dests",
        "merged in v6.17-rc1 (a2c24eae5a15)",
        "6.17",
        "",
    ),
    u("sysfs/refresh_ms", "merged in v6.17-rc1", "6.17", ""),
    u(
        "trace/damon_monitor_intervals_tune",
        "merged in v6.17-rc1 (214db7028727)",
        "6.17",
        "",
    ),
    u(
        "trace/damos_esz",
        "merged in v6.17-rc1 (a86d695193bf)",
        "6.17",
        "",
    ),
    u(
        "interface/damon_stat",
        "merged in v6.17-rc1 (369c415e6073)",
        "6.17",
        "",
    ),
    u(
        "sysfs/addr_unit",
        "merged in v6.18-rc1 (09a616cbb371)",
        "6.18",
        "",
    ),
    u(
        "reclaim/addr_unit",
        "merged in v6.18-rc1 (7db551fcfb2a)",
        "6.18",
        "",
    ),
    u(
        "lru_sort/addr_unit",
        "merged in v6.18-rc1 (2e0fe9245d6b)",
        "6.18",
        "",
    ),
    u(
        "stat/aggr_interval",
        "merged in v6.18-rc1 (cc7ceb1d14b0)",
        "6.18",
        "",
    ),
    u(
        "stat/negative_idle_time",
        "merged in v6.18-rc1 (a983a26d5298)",
        "6.18",
        "",
    ),
    u(
        "sysfs/schemes_quota_goal_node_memcg_used_free",
        "merged in v6.19-rc1 (6a18bbe48361)",
        "6.19",
        "",
    ),
    u("sysfs/obsolete_target", "merged in v6.19-rc1", "6.19", ""),
    u(
        "sysfs/damos_stat_nr_snapshots",
        "merged in v7.0-rc1 (4a6ceb7c9744)",
        "7.0",
        "",
    ),
    u(
        "sysfs/damos_max_nr_snapshots",
        "merged in v7.0-rc1 (4a6ceb7c9744)",
        "7.0",
        "",
    ),
    u(
        "trace/damos_stat_after_apply_interval",
        "merged in v7.0-rc1 (4a6ceb7c9744)",
        "7.0",
        "",
    ),
    u(
        "sysfs/damos_quota_goal_in_active_mem_bp",
        "merged in v7.0-rc1 (4a6ceb7c9744)",
        "7.0",
        "",
    ),
    u(
        "lru_sort/young_page_filter",
        "merged in v7.0-rc1 (4835e2871321f)",
        "7.0",
        "",
    ),
    u(
        "lru_sort/active_mem_bp",
        "merged in v7.0-rc1 (4835e2871321f)",
        "7.0",
        "",
    ),
    u(
        "lru_sort/autotune_monitoring_intervals",
        "merged in v7.0-rc1 (4835e2871321f)",
        "7.0",
        "",
    ),
    u(
        "sysfs/damos_quota_goal_tuner",
        "merged in v7.1-rc1 (8719c59c4b928)",
        "7.1",
        "",
    ),
    u(
        "sysfs/damos_action_collapse",
        "merged in v7.2-rc1 (58996503b631)",
        "7.2",
        "",
    ),
    u(
        "sysfs/damos_quota_goal_node_eligible_mem_bp",
        "merged in v7.2-rc1 (9138e27a3bc3)",
        "7.2",
        "",
    ),
    u(
        "sysfs/ctx_pause",
        "merged in v7.2-rc1 (3b9e3cc0405b4)",
        "7.2",
        "",
    ),
    u(
        "sysfs/damos_quota_fail_charge_ratio",
        "merged in v7.2-rc1 (c7ec7d5f6b3d1)",
        "7.2",
        "",
    ),
    u(
        "sysfs/attrs_monitoring",
        "merged in v7.2-rc1 (45c49d9fd6089)",
        "7.2",
        "",
    ),
    u(
        "sysfs/probe_type_anon",
        "merged in v7.2-rc1 (8caba1448278)",
        "7.2",
        "",
    ),
    u(
        "sysfs/probe_type_memcg",
        "merged in v7.2-rc1 (c71f8e13462d)",
        "7.2",
        "",
    ),
    u(
        "trace/damon_region_aggregated",
        "merged in v7.2-rc1 (45c49d9fd6089)",
        "7.2",
        "",
    ),
    u(
        "sysfs/probe_weights",
        "merged in v7.3-rc1 (37aae41c1056)",
        "7.3",
        "",
    ),
    u("sysfs/probe_preps", "merged into mm.git", "none", ""),
    u(
        "sysfs/probe_prep_set_pgidle",
        "merged into mm.git",
        "none",
        "",
    ),
    u(
        "sysfs/probe_type_pgidle_unset",
        "merged into mm.git",
        "none",
        "",
    ),
    u(
        "sysfs/probe_type_pgidle_set",
        "merged into mm.git",
        "none",
        "",
    ),
    u(
        "sysfs/damos_filter_probe_hits_wsum",
        "merged into mm.git",
        "none",
        "",
    ),
    u(
        "sysfs/probe_type_hugepage_size",
        "merged into mm.git",
        "none",
        "",
    ),
    u(
        "sysfs/damos_quota_goal_complement",
        "hacking on damon/next",
        "none",
        "",
    ),
    u(
        "sysfs/damon_sample_control",
        "hacking on damon/next",
        "none",
        "succeeds ops_attrs; to be succeeded by attrs_monitoring",
    ),
    u("sysfs/ops_attrs", "hacking on damon/next", "none", ""),
];

/// The version that merged `name`; `None` if unknown or not merged.
pub fn since(name: &str) -> Option<Version> {
    FEATURES
        .iter()
        .find(|x| x.name == name)
        .and_then(|x| x.since)
}

/// `v6.18`-style text for a feature's version.
pub fn since_text(name: &str) -> String {
    match since(name) {
        Some((a, b)) => format!("Linux {a}.{b}"),
        None => "no mainline kernel yet".into(),
    }
}

/// Keywords the kernel accepts in a file (by file name), and the feature
/// that added each: the emulator rejects what a kernel version lacks, and
/// an EINVAL on such a keyword names the feature.
pub const KEYWORDS: &[(&str, &str, &str)] = &[
    ("operations", "vaddr", "sysfs/vaddr"),
    ("operations", "paddr", "sysfs/paddr"),
    ("operations", "fvaddr", "sysfs/fvaddr"),
    ("action", "willneed", "sysfs/schemes"),
    ("action", "cold", "sysfs/schemes"),
    ("action", "pageout", "sysfs/schemes"),
    ("action", "hugepage", "sysfs/schemes"),
    ("action", "nohugepage", "sysfs/schemes"),
    ("action", "stat", "sysfs/schemes"),
    ("action", "lru_prio", "sysfs/lru_sort"),
    ("action", "lru_deprio", "sysfs/lru_sort"),
    ("action", "migrate_hot", "sysfs/schemes_migrate"),
    ("action", "migrate_cold", "sysfs/schemes_migrate"),
    ("action", "collapse", "sysfs/damos_action_collapse"),
    ("type", "anon", "sysfs/schemes_filters_anon"),
    ("type", "memcg", "sysfs/schemes_filters_memcg"),
    ("type", "addr", "sysfs/schemes_filters_addr"),
    ("type", "target", "sysfs/schemes_filters_target"),
    ("type", "young", "sysfs/schemes_filters_young"),
    (
        "type",
        "hugepage_size",
        "sysfs/schemes_filters_hugepage_size",
    ),
    ("type", "unmapped", "sysfs/schemes_filters_unmapped"),
    ("type", "active", "sysfs/schemes_filters_active"),
    ("target_metric", "user_input", "sysfs/schemes_quota_goals"),
    (
        "target_metric",
        "some_mem_psi_us",
        "sysfs/schemes_quota_goal_some_psi",
    ),
    (
        "target_metric",
        "node_mem_used_bp",
        "sysfs/schemes_quota_goal_node_mem_used_free",
    ),
    (
        "target_metric",
        "node_mem_free_bp",
        "sysfs/schemes_quota_goal_node_mem_used_free",
    ),
    (
        "target_metric",
        "node_memcg_used_bp",
        "sysfs/schemes_quota_goal_node_memcg_used_free",
    ),
    (
        "target_metric",
        "node_memcg_free_bp",
        "sysfs/schemes_quota_goal_node_memcg_used_free",
    ),
    (
        "target_metric",
        "active_mem_bp",
        "sysfs/damos_quota_goal_in_active_mem_bp",
    ),
    (
        "target_metric",
        "inactive_mem_bp",
        "sysfs/damos_quota_goal_in_active_mem_bp",
    ),
    (
        "target_metric",
        "node_eligible_mem_bp",
        "sysfs/damos_quota_goal_node_eligible_mem_bp",
    ),
    ("metric", "none", "sysfs/schemes_wmarks"),
    ("metric", "free_mem_rate", "sysfs/schemes_wmarks"),
    ("goal_tuner", "consist", "sysfs/damos_quota_goal_tuner"),
    ("goal_tuner", "temporal", "sysfs/damos_quota_goal_tuner"),
];

/// The feature that added `value` to the keyword file `file`, if known.
pub fn keyword_feature(file: &str, value: &str) -> Option<&'static str> {
    KEYWORDS
        .iter()
        .find(|(f, v, _)| *f == file && *v == value)
        .map(|(_, _, feat)| *feat)
}

/// Parses `6.12.117+deb12-amd64` or `6.18` into `(6, 12)`.
pub fn parse_version(text: &str) -> Option<Version> {
    let mut it = text.trim().split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// The running kernel's version (the emulated one for a fake tree).
pub fn kernel_version(fs: &Sysfs) -> Option<Version> {
    if let Some(v) = fs.kernel.emulated_version() {
        return Some(v);
    }
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .and_then(|t| parse_version(&t))
}

/// Files that show a feature, relative to the first kdamond's directory.
const PROBE_FILES: &[(&str, &str)] = &[
    (
        "sysfs/schemes_tried_regions",
        "contexts/0/schemes/0/tried_regions",
    ),
    ("sysfs/schemes_filters", "contexts/0/schemes/0/filters"),
    (
        "sysfs/schemes_apply_interval",
        "contexts/0/schemes/0/apply_interval_us",
    ),
    (
        "sysfs/schemes_quota_goals",
        "contexts/0/schemes/0/quotas/goals",
    ),
    (
        "sysfs/schemes_quota_effective_bytes",
        "contexts/0/schemes/0/quotas/effective_bytes",
    ),
    ("sysfs/schemes_migrate", "contexts/0/schemes/0/target_nid"),
    (
        "sysfs/sz_ops_filter_passed",
        "contexts/0/schemes/0/stats/sz_ops_filter_passed",
    ),
    (
        "sysfs/schemes_filters_core_ops_dirs",
        "contexts/0/schemes/0/core_filters",
    ),
    ("sysfs/schemes_dests", "contexts/0/schemes/0/dests"),
    ("sysfs/refresh_ms", "refresh_ms"),
    ("sysfs/addr_unit", "contexts/0/addr_unit"),
    (
        "sysfs/intervals_goal",
        "contexts/0/monitoring_attrs/intervals/intervals_goal",
    ),
    (
        "sysfs/damos_stat_nr_snapshots",
        "contexts/0/schemes/0/stats/nr_snapshots",
    ),
    (
        "sysfs/damos_quota_goal_tuner",
        "contexts/0/schemes/0/quotas/goal_tuner",
    ),
    ("sysfs/ctx_pause", "contexts/0/pause"),
];

/// Which features the kernel has: by the files of an existing kdamond's
/// first context and scheme where there are such, by the kernel version
/// otherwise.
pub fn detect(fs: &Sysfs) -> Vec<(&'static str, bool)> {
    let ver = kernel_version(fs);
    let kd = fs.kdamond_dir(0);
    let files_tell = kd.join("contexts/0/schemes/0").is_dir();
    FEATURES
        .iter()
        .map(|feat| {
            let probe = PROBE_FILES
                .iter()
                .find(|(n, _)| *n == feat.name)
                .filter(|_| files_tell);
            let has = match (probe, feat.since, ver) {
                (Some((_, rel)), _, _) => kd.join(rel).exists(),
                (None, Some(s), Some(v)) => v >= s,
                _ => false,
            };
            (feat.name, has)
        })
        .collect()
}

/// Whether the kernel has the feature `name` (as [`detect`] tells).
pub fn has(fs: &Sysfs, name: &str) -> bool {
    detect(fs).iter().any(|(n, ok)| *ok && *n == name)
}

/// Features outside the sysfs interface, found by files: (name, path
/// relative to the sysfs root).
const FILE_FEATURES: &[(&str, &str)] = &[
    ("interface/damon_sysfs", "kernel/mm/damon/admin/kdamonds"),
    ("interface/damon_reclaim", "module/damon_reclaim"),
    ("interface/damon_lru_sort", "module/damon_lru_sort"),
    ("interface/damon_stat", "module/damon_stat"),
    (
        "reclaim/stats",
        "module/damon_reclaim/parameters/nr_reclaim_tried_regions",
    ),
    (
        "reclaim/commit_inputs",
        "module/damon_reclaim/parameters/commit_inputs",
    ),
    (
        "reclaim/skip_anon",
        "module/damon_reclaim/parameters/skip_anon",
    ),
    (
        "reclaim/quota_mem_pressure_us",
        "module/damon_reclaim/parameters/quota_mem_pressure_us",
    ),
    (
        "reclaim/quota_user_feedback",
        "module/damon_reclaim/parameters/quota_autotune_feedback",
    ),
    (
        "reclaim/addr_unit",
        "module/damon_reclaim/parameters/addr_unit",
    ),
    (
        "lru_sort/addr_unit",
        "module/damon_lru_sort/parameters/addr_unit",
    ),
    (
        "lru_sort/autotune_monitoring_intervals",
        "module/damon_lru_sort/parameters/autotune_monitoring_intervals",
    ),
    (
        "lru_sort/active_mem_bp",
        "module/damon_lru_sort/parameters/active_mem_bp",
    ),
    (
        "lru_sort/young_page_filter",
        "module/damon_lru_sort/parameters/filter_young_pages",
    ),
    (
        "stat/aggr_interval",
        "module/damon_stat/parameters/aggr_interval_us",
    ),
    (
        "stat/negative_idle_time",
        "module/damon_stat/parameters/aggr_interval_us",
    ),
];

/// DAMON tracepoints damo knows.
const TRACEPOINTS: &[&str] = &[
    "damon_aggregated",
    "damos_before_apply",
    "damon_monitor_intervals_tune",
    "damos_esz",
    "damos_stat_after_apply_interval",
    "damon_region_aggregated",
];

/// Every feature damo lists, with whether this kernel has it, by name.
pub fn all(fs: &Sysfs) -> Vec<(String, bool)> {
    let sysfs_on = fs.supported();
    let mut v: Vec<(String, bool)> = detect(fs)
        .into_iter()
        .filter(|(n, _)| *n != "sysfs/lru_sort")
        .map(|(n, ok)| (n.to_string(), ok && sysfs_on))
        .collect();
    // the debugfs interface's features, by the kernel version
    let debugfs = fs.dbgfs_supported();
    for (n, ok) in fs.dbgfs_abilities().features() {
        v.push((n.to_string(), debugfs && ok));
    }
    v.push(("interface/damon_debugfs".to_string(), debugfs));
    for (n, p) in FILE_FEATURES {
        v.push((n.to_string(), fs.root().join(p).exists()));
    }
    let events = std::fs::read_to_string(fs.root().join("kernel/tracing/available_events"))
        .or_else(|_| {
            std::fs::read_to_string(fs.root().join("kernel/debug/tracing/available_events"))
        })
        .unwrap_or_default();
    for t in TRACEPOINTS {
        let has = events.lines().any(|l| l.trim() == format!("damon:{t}"));
        v.push((format!("trace/{t}"), has));
    }
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("6.12.117+deb12-amd64"), Some((6, 12)));
        assert_eq!(parse_version("7.0"), Some((7, 0)));
        assert_eq!(since("sysfs/refresh_ms"), Some((6, 17)));
        assert_eq!(
            keyword_feature("action", "migrate_hot"),
            Some("sysfs/schemes_migrate")
        );
        assert_eq!(since_text("sysfs/schemes_migrate"), "Linux 6.11");
    }
}
