//! Readiness triage: which devices need a visit, and why.
//!
//! A device is triaged against a day (`today`): pads and battery expired or expiring within
//! `due_days`, no check within `check_days` (or never), status not ready or in use, no
//! guardian. An expiry date is the last usable day: a device is expired from the day after.
//! Retired devices are counted, not triaged. Guardian contact details never reach the
//! output: the triage only says whether a device has a known guardian.

use super::csv_io::{ReadOptions, RegistryError, RowError, read_aeds, read_guardians};
use super::model::{Aed, Guardian, Status};
use chrono::NaiveDate;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// The day to check against and the warning windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    pub today: NaiveDate,
    /// Pads or battery expiring within this many days are due.
    pub due_days: i64,
    /// A device not checked for more than this many days is overdue.
    pub check_days: i64,
}

impl CheckOptions {
    /// `today` with the default windows: 30 days to expiry, a check every 90 days.
    pub fn new(today: NaiveDate) -> Self {
        CheckOptions {
            today,
            due_days: 30,
            check_days: 90,
        }
    }
}

/// One reason a device may not be rescue-ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No guardian id, or (when a guardians file is given) an id not in it.
    NoGuardian {
        unknown_id: Option<String>,
    },
    /// Pads expired this many days ago.
    PadsExpired(i64),
    /// Pads expire in this many days (0 = last usable day is today).
    PadsExpiringSoon(i64),
    PadsExpiryUnknown,
    BatteryExpired(i64),
    BatteryExpiringSoon(i64),
    BatteryExpiryUnknown,
    NeverChecked,
    /// Last checked this many days ago.
    CheckOverdue(i64),
    StatusNotReady(Status),
}

/// The kind of a [`Problem`], for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    NoGuardian,
    PadsExpired,
    PadsExpiringSoon,
    PadsExpiryUnknown,
    BatteryExpired,
    BatteryExpiringSoon,
    BatteryExpiryUnknown,
    NeverChecked,
    CheckOverdue,
    StatusNotReady,
}

impl ProblemKind {
    pub const ALL: &'static [ProblemKind] = &[
        ProblemKind::NoGuardian,
        ProblemKind::PadsExpired,
        ProblemKind::PadsExpiringSoon,
        ProblemKind::PadsExpiryUnknown,
        ProblemKind::BatteryExpired,
        ProblemKind::BatteryExpiringSoon,
        ProblemKind::BatteryExpiryUnknown,
        ProblemKind::NeverChecked,
        ProblemKind::CheckOverdue,
        ProblemKind::StatusNotReady,
    ];

    /// Machine spelling, used in CSV output.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::NoGuardian => "no_guardian",
            ProblemKind::PadsExpired => "pads_expired",
            ProblemKind::PadsExpiringSoon => "pads_expiring_soon",
            ProblemKind::PadsExpiryUnknown => "pads_expiry_unknown",
            ProblemKind::BatteryExpired => "battery_expired",
            ProblemKind::BatteryExpiringSoon => "battery_expiring_soon",
            ProblemKind::BatteryExpiryUnknown => "battery_expiry_unknown",
            ProblemKind::NeverChecked => "never_checked",
            ProblemKind::CheckOverdue => "check_overdue",
            ProblemKind::StatusNotReady => "status_not_ready",
        }
    }

    /// Human label, used in the summary.
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::NoGuardian => "no guardian",
            ProblemKind::PadsExpired => "pads expired",
            ProblemKind::PadsExpiringSoon => "pads expiring soon",
            ProblemKind::PadsExpiryUnknown => "pads expiry unknown",
            ProblemKind::BatteryExpired => "battery expired",
            ProblemKind::BatteryExpiringSoon => "battery expiring soon",
            ProblemKind::BatteryExpiryUnknown => "battery expiry unknown",
            ProblemKind::NeverChecked => "never checked",
            ProblemKind::CheckOverdue => "check overdue",
            ProblemKind::StatusNotReady => "status not ready",
        }
    }
}

impl Problem {
    pub fn kind(&self) -> ProblemKind {
        match self {
            Problem::NoGuardian { .. } => ProblemKind::NoGuardian,
            Problem::PadsExpired(_) => ProblemKind::PadsExpired,
            Problem::PadsExpiringSoon(_) => ProblemKind::PadsExpiringSoon,
            Problem::PadsExpiryUnknown => ProblemKind::PadsExpiryUnknown,
            Problem::BatteryExpired(_) => ProblemKind::BatteryExpired,
            Problem::BatteryExpiringSoon(_) => ProblemKind::BatteryExpiringSoon,
            Problem::BatteryExpiryUnknown => ProblemKind::BatteryExpiryUnknown,
            Problem::NeverChecked => ProblemKind::NeverChecked,
            Problem::CheckOverdue(_) => ProblemKind::CheckOverdue,
            Problem::StatusNotReady(_) => ProblemKind::StatusNotReady,
        }
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoGuardian { unknown_id: None } => f.write_str("no guardian"),
            Problem::NoGuardian {
                unknown_id: Some(id),
            } => write!(f, "no guardian (id {id} not in guardians file)"),
            Problem::PadsExpired(n) => write!(f, "pads expired {} ago", days(*n)),
            Problem::PadsExpiringSoon(0) => f.write_str("pads expire today"),
            Problem::PadsExpiringSoon(n) => write!(f, "pads expire in {}", days(*n)),
            Problem::PadsExpiryUnknown => f.write_str("pads expiry unknown"),
            Problem::BatteryExpired(n) => write!(f, "battery expired {} ago", days(*n)),
            Problem::BatteryExpiringSoon(0) => f.write_str("battery expires today"),
            Problem::BatteryExpiringSoon(n) => write!(f, "battery expires in {}", days(*n)),
            Problem::BatteryExpiryUnknown => f.write_str("battery expiry unknown"),
            Problem::NeverChecked => f.write_str("never checked"),
            Problem::CheckOverdue(n) => write!(f, "last checked {} ago", days(*n)),
            Problem::StatusNotReady(s) => write!(f, "status {s}"),
        }
    }
}

/// One device that has at least one problem.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceTriage {
    pub id: String,
    pub name: String,
    pub postcode: String,
    pub status: Status,
    pub problems: Vec<Problem>,
    /// Arrests only this device covers, when known (see [`Triage::rank_by_criticality`]).
    pub criticality: Option<f64>,
}

/// Counts for the run summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub today: NaiveDate,
    pub due_days: i64,
    pub check_days: i64,
    /// Devices given to the check (loaded rows).
    pub devices: usize,
    /// Retired devices: counted, not triaged.
    pub retired: usize,
    pub triaged: usize,
    pub without_problems: usize,
    pub with_problems: usize,
    /// Devices per problem kind, every kind present (zeros included), in [`ProblemKind::ALL`] order.
    pub counts: Vec<(ProblemKind, usize)>,
    /// Rows of the input files that could not be read and so were not checked.
    pub bad_rows: usize,
}

impl Summary {
    pub fn count(&self, kind: ProblemKind) -> usize {
        self.counts
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }
}

/// The triage: devices with problems, most urgent first, and a summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Triage {
    pub devices: Vec<DeviceTriage>,
    pub summary: Summary,
}

/// Triage `aeds` on `opts.today`. With `guardians`, a guardian id not in it counts as no
/// guardian. Devices are ranked by number of problems (most first), then id.
pub fn check(aeds: &[Aed], guardians: Option<&[Guardian]>, opts: &CheckOptions) -> Triage {
    let mut triage = check_unranked(aeds, guardians, opts);
    triage.sort();
    triage
}

/// [`check`] with the devices in registry order, for a caller that ranks them next with
/// [`Triage::rank_by_criticality`] (which sorts them in full): one sort, not two.
pub fn check_unranked(aeds: &[Aed], guardians: Option<&[Guardian]>, opts: &CheckOptions) -> Triage {
    let mut devices = Vec::with_capacity(aeds.len());
    let summary = tally(aeds, guardians, opts, |aed, problems| {
        devices.push(DeviceTriage {
            id: String::from(&aed.id),
            name: aed.about.name.clone(),
            postcode: aed.about.postcode.clone(),
            status: aed.status,
            problems: std::mem::take(problems),
            criticality: None,
        });
    });
    Triage { summary, devices }
}

/// The summary of [`check`] alone, for a caller that lists no device: the same counts,
/// with no copy of any device's id, name or postcode.
pub fn summarize(aeds: &[Aed], guardians: Option<&[Guardian]>, opts: &CheckOptions) -> Summary {
    tally(aeds, guardians, opts, |_, _| {})
}

/// Counts the problems of every device that is not retired, in registry order, and hands
/// each device that has any to `with_problems` (which may take the list).
fn tally(
    aeds: &[Aed],
    guardians: Option<&[Guardian]>,
    opts: &CheckOptions,
    mut with_problems: impl FnMut(&Aed, &mut Vec<Problem>),
) -> Summary {
    let known = known_guardians(guardians);
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    for aed in aeds {
        if aed.status == Status::Retired {
            tally.retired += 1;
            continue;
        }
        problems.clear();
        push_problems(aed, known.as_ref(), opts, &mut problems);
        tally.add(&problems);
        if !problems.is_empty() {
            with_problems(aed, &mut problems);
        }
    }
    tally.summary(aeds.len(), opts)
}

fn known_guardians(guardians: Option<&[Guardian]>) -> Option<HashSet<&str>> {
    guardians.map(|gs| gs.iter().map(|g| g.id.as_str()).collect())
}

/// The counts of a triage, a device at a time.
#[derive(Default)]
struct Tally {
    retired: usize,
    without_problems: usize,
    with_problems: usize,
    /// Devices per kind, in [`ProblemKind::ALL`] order (each device once per kind it has).
    per_kind: [usize; ProblemKind::ALL.len()],
}

impl Tally {
    /// Adds a device that is not retired, with its `problems`.
    fn add(&mut self, problems: &[Problem]) {
        if problems.is_empty() {
            self.without_problems += 1;
            return;
        }
        self.with_problems += 1;
        let mut has = 0u32;
        for p in problems {
            let kind = p.kind();
            if let Some(i) = ProblemKind::ALL.iter().position(|&k| k == kind) {
                has |= 1 << i;
            }
        }
        for (i, count) in self.per_kind.iter_mut().enumerate() {
            *count += ((has >> i) & 1) as usize;
        }
    }

    fn summary(self, devices: usize, opts: &CheckOptions) -> Summary {
        Summary {
            today: opts.today,
            due_days: opts.due_days,
            check_days: opts.check_days,
            devices,
            retired: self.retired,
            triaged: devices - self.retired,
            without_problems: self.without_problems,
            with_problems: self.with_problems,
            counts: ProblemKind::ALL
                .iter()
                .copied()
                .zip(self.per_kind)
                .collect(),
            bad_rows: 0,
        }
    }
}

/// `x`'s bits as a number that sorts as [`f64::total_cmp`] does.
fn total_order_bits(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Reorders `items` so that place `j` holds what was at `order[j]`, a permutation of the
/// places (consumed: every entry is overwritten).
fn apply_order<T>(items: &mut [T], order: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        let mut j = start;
        while order[j] != DONE {
            let from = order[j];
            order[j] = DONE;
            if from == start {
                break;
            }
            items.swap(j, from);
            j = from;
        }
    }
}

/// Appends the problems of `aed` to `out`.
fn push_problems(
    aed: &Aed,
    known: Option<&HashSet<&str>>,
    opts: &CheckOptions,
    out: &mut Vec<Problem>,
) {
    match (&aed.guardian_id, known) {
        (None, _) => out.push(Problem::NoGuardian { unknown_id: None }),
        (Some(id), Some(known)) if !known.contains(id.as_str()) => out.push(Problem::NoGuardian {
            unknown_id: Some(id.clone()),
        }),
        _ => {}
    }
    let expiry = |date: Option<NaiveDate>,
                  expired: fn(i64) -> Problem,
                  soon: fn(i64) -> Problem,
                  unknown| {
        match date {
            None => Some(unknown),
            Some(d) => {
                let left = (d - opts.today).num_days();
                if left < 0 {
                    Some(expired(-left))
                } else if left <= opts.due_days {
                    Some(soon(left))
                } else {
                    None
                }
            }
        }
    };
    out.extend(expiry(
        aed.pads_expiry,
        Problem::PadsExpired,
        Problem::PadsExpiringSoon,
        Problem::PadsExpiryUnknown,
    ));
    out.extend(expiry(
        aed.battery_expiry,
        Problem::BatteryExpired,
        Problem::BatteryExpiringSoon,
        Problem::BatteryExpiryUnknown,
    ));
    match aed.last_checked {
        None => out.push(Problem::NeverChecked),
        Some(d) => {
            let since = (opts.today - d).num_days();
            if since > opts.check_days {
                out.push(Problem::CheckOverdue(since));
            }
        }
    }
    if matches!(aed.status, Status::NotReady | Status::InUse) {
        out.push(Problem::StatusNotReady(aed.status));
    }
}

impl Triage {
    /// Attach each device's criticality (arrests only it covers, keyed by AED id) and rank
    /// by it, highest first; devices missing from the map rank after those in it.
    pub fn rank_by_criticality<S: std::hash::BuildHasher + Sync>(
        &mut self,
        criticality: &HashMap<String, f64, S>,
    ) {
        self.rank_with(|id| criticality.get(id).copied());
    }

    /// [`Triage::rank_by_criticality`] with the criticality of each device's id given by
    /// `criticality_of` (`None`: unknown). It is asked once per device, in ascending order
    /// of id, so that it can walk a sorted list of ids.
    pub fn rank_with(&mut self, mut criticality_of: impl FnMut(&str) -> Option<f64>) {
        let by_id = self.positions_by_id();
        for &i in &by_id {
            let d = &mut self.devices[i];
            d.criticality = criticality_of(&d.id);
        }
        self.sort_given(by_id);
    }

    fn sort(&mut self) {
        let by_id = self.positions_by_id();
        self.sort_given(by_id);
    }

    /// The devices' positions in the order of (id, position): one sort that compares ids,
    /// fast when the registry is already in id order.
    fn positions_by_id(&self) -> Vec<usize> {
        let devices = &self.devices;
        let mut by_id: Vec<usize> = (0..devices.len()).collect();
        by_id.par_sort_unstable_by(|&a, &b| (devices[a].id.cmp(&devices[b].id)).then(a.cmp(&b)));
        by_id
    }

    /// Ranks by criticality (highest first, unknown last), then number of problems (most
    /// first), then id, then position (`by_id` from [`Triage::positions_by_id`]): a sort of
    /// numbers only.
    fn sort_given(&mut self, by_id: Vec<usize>) {
        let key = |(rank, &i): (usize, &usize)| {
            let d = &self.devices[i];
            let (crit, unknown) = match d.criticality {
                Some(c) => (!total_order_bits(c), false),
                None => (u64::MAX, true),
            };
            (crit, unknown, std::cmp::Reverse(d.problems.len()), rank)
        };
        let mut keyed: Vec<_> = by_id.iter().enumerate().map(key).collect();
        // Unique keys (the rank in id order is), so an unstable sort has one answer.
        keyed.par_sort_unstable();
        let mut order: Vec<usize> = keyed.iter().map(|k| by_id[k.3]).collect();
        apply_order(&mut self.devices, &mut order);
    }

    fn has_criticality(&self) -> bool {
        self.devices.iter().any(|d| d.criticality.is_some())
    }

    /// An aligned table of the devices with problems, for a terminal.
    pub fn write_table<W: Write>(&self, mut w: W) -> io::Result<()> {
        if self.devices.is_empty() {
            return writeln!(w, "No device has a readiness problem.");
        }
        let crit = self.has_criticality();
        let mut rows: Vec<Vec<String>> = vec![
            ["rank", "id", "name", "postcode", "criticality", "problems"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ];
        for (i, d) in self.devices.iter().enumerate() {
            rows.push(vec![
                (i + 1).to_string(),
                d.id.clone(),
                clip(&d.name, 32),
                d.postcode.clone(),
                d.criticality.map(|c| format!("{c:.1}")).unwrap_or_default(),
                d.problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ]);
        }
        if !crit {
            for r in &mut rows {
                r.remove(4);
            }
        }
        let ncol = rows[0].len();
        let widths: Vec<usize> = (0..ncol)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for r in &rows {
            let mut line = String::new();
            for (c, cell) in r.iter().enumerate() {
                if c + 1 == ncol {
                    line.push_str(cell);
                } else {
                    let pad = widths[c] - cell.chars().count();
                    if c == 0 {
                        line.push_str(&" ".repeat(pad));
                        line.push_str(cell);
                    } else {
                        line.push_str(cell);
                        line.push_str(&" ".repeat(pad));
                    }
                    line.push_str("  ");
                }
            }
            writeln!(w, "{}", line.trim_end())?;
        }
        Ok(())
    }

    /// The summary: devices, retired, bad rows and devices per problem.
    pub fn write_summary<W: Write>(&self, mut w: W) -> io::Result<()> {
        let s = &self.summary;
        writeln!(
            w,
            "Summary on {} (due within {} days, check every {} days)",
            s.today, s.due_days, s.check_days
        )?;
        let lines: Vec<(&str, usize)> = vec![
            ("devices read", s.devices),
            ("retired (not triaged)", s.retired),
            ("triaged", s.triaged),
            ("with no problem", s.without_problems),
            ("with problems", s.with_problems),
            ("bad rows (not checked)", s.bad_rows),
        ];
        for (label, n) in lines {
            writeln!(w, "  {label:<26}{n:>6}")?;
        }
        writeln!(w, "Devices per problem")?;
        for (kind, n) in &s.counts {
            writeln!(w, "  {:<26}{n:>6}", kind.label())?;
        }
        Ok(())
    }

    /// CSV: one row per device with problems, in rank order.
    pub fn write_csv<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record([
            "rank",
            "id",
            "name",
            "postcode",
            "status",
            "criticality",
            "problem_count",
            "problems",
            "details",
        ])?;
        for (i, d) in self.devices.iter().enumerate() {
            out.write_record([
                (i + 1).to_string(),
                d.id.clone(),
                d.name.clone(),
                d.postcode.clone(),
                d.status.to_string(),
                d.criticality.map(|c| c.to_string()).unwrap_or_default(),
                d.problems.len().to_string(),
                d.problems
                    .iter()
                    .map(|p| p.kind().as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                d.problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ])?;
        }
        out.flush()
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).collect::<String>() + "…"
    }
}

/// The outcome of [`check_files`]: the triage plus what went wrong reading the files.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    pub triage: Triage,
    /// Data rows of the AED file, and how many were not loaded.
    pub aed_rows_seen: usize,
    pub aed_bad_rows: usize,
    /// Bad values in both files (the AED file's first).
    pub row_errors: Vec<RowError>,
    pub warnings: Vec<String>,
}

/// Read `aeds` (and `guardians`, if given) and triage. Fails only if a file cannot be read
/// (or, in strict mode, has a bad row); bad rows are otherwise reported and counted.
pub fn check_files(
    aeds: &Path,
    guardians: Option<&Path>,
    opts: &CheckOptions,
    read: ReadOptions,
) -> Result<CheckReport, RegistryError> {
    let aed_file = read_aeds(aeds, read)?;
    let guardian_file = guardians.map(|p| read_guardians(p, read)).transpose()?;
    let mut triage = check(
        &aed_file.aeds,
        guardian_file.as_ref().map(|g| g.guardians.as_slice()),
        opts,
    );
    triage.summary.bad_rows =
        aed_file.bad_rows() + guardian_file.as_ref().map_or(0, |g| g.bad_rows());
    let (aed_rows_seen, aed_bad_rows) = (aed_file.rows_seen, aed_file.bad_rows());
    let mut row_errors = aed_file.errors;
    let mut warnings = aed_file.warnings;
    if let Some(g) = guardian_file {
        row_errors.extend(g.errors);
        warnings.extend(g.warnings);
    }
    Ok(CheckReport {
        triage,
        aed_rows_seen,
        aed_bad_rows,
        row_errors,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn good(id: &str) -> Aed {
        Aed {
            id: id.into(),
            guardian_id: Some("G1".into()),
            pads_expiry: Some(day("2026-01-01")),
            battery_expiry: Some(day("2027-01-01")),
            last_checked: Some(day("2025-05-20")),
            status: Status::Ready,
            ..Aed::default()
        }
    }

    fn opts() -> CheckOptions {
        CheckOptions::new(day("2025-06-01"))
    }

    #[test]
    fn a_good_device_has_no_problem() {
        let t = check(&[good("A")], None, &opts());
        assert!(t.devices.is_empty());
        assert_eq!(t.summary.without_problems, 1);
    }

    #[test]
    fn expiry_boundaries() {
        let mut a = good("A");
        a.pads_expiry = Some(day("2025-06-01")); // last usable day is today
        a.battery_expiry = Some(day("2025-05-31"));
        let t = check(&[a.clone()], None, &opts());
        assert_eq!(
            t.devices[0].problems,
            vec![Problem::PadsExpiringSoon(0), Problem::BatteryExpired(1)]
        );
        a.pads_expiry = Some(day("2025-07-01")); // 30 days: due
        a.battery_expiry = Some(day("2025-07-02")); // 31 days: not yet
        let t = check(&[a], None, &opts());
        assert_eq!(t.devices[0].problems, vec![Problem::PadsExpiringSoon(30)]);
    }

    #[test]
    fn check_window_boundary() {
        let mut a = good("A");
        a.last_checked = Some(day("2025-03-03")); // 90 days ago
        assert!(check(&[a.clone()], None, &opts()).devices.is_empty());
        a.last_checked = Some(day("2025-03-02")); // 91 days ago
        assert_eq!(
            check(&[a], None, &opts()).devices[0].problems,
            vec![Problem::CheckOverdue(91)]
        );
    }

    #[test]
    fn everything_missing() {
        let a = Aed {
            id: "X".into(),
            status: Status::NotReady,
            ..Aed::default()
        };
        let t = check(&[a], None, &opts());
        assert_eq!(
            t.devices[0].problems,
            vec![
                Problem::NoGuardian { unknown_id: None },
                Problem::PadsExpiryUnknown,
                Problem::BatteryExpiryUnknown,
                Problem::NeverChecked,
                Problem::StatusNotReady(Status::NotReady),
            ]
        );
    }

    #[test]
    fn unknown_guardian_only_with_a_guardians_list() {
        let mut a = good("A");
        a.guardian_id = Some("G9".into());
        assert!(check(&[a.clone()], None, &opts()).devices.is_empty());
        let gs = [Guardian {
            id: "G1".into(),
            ..Guardian::default()
        }];
        let t = check(&[a], Some(&gs), &opts());
        assert_eq!(
            t.devices[0].problems,
            vec![Problem::NoGuardian {
                unknown_id: Some("G9".into())
            }]
        );
    }

    #[test]
    fn retired_counted_not_triaged_and_counts_per_kind() {
        let mut r = good("R");
        r.status = Status::Retired;
        r.guardian_id = None;
        let mut b = good("B");
        b.guardian_id = None;
        let mut c = good("C");
        c.guardian_id = None;
        c.last_checked = None;
        let t = check(&[r, b, c, good("D")], None, &opts());
        let s = &t.summary;
        assert_eq!((s.devices, s.retired, s.triaged), (4, 1, 3));
        assert_eq!((s.with_problems, s.without_problems), (2, 1));
        assert_eq!(s.count(ProblemKind::NoGuardian), 2);
        assert_eq!(s.count(ProblemKind::NeverChecked), 1);
        assert_eq!(s.count(ProblemKind::PadsExpired), 0);
        // Most problems first, then id.
        let ids: Vec<&str> = t.devices.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["C", "B"]);
    }

    #[test]
    fn summarize_counts_as_the_triage_does() {
        let mut r = good("R");
        r.status = Status::Retired;
        let mut b = good("B");
        b.guardian_id = Some("G9".into());
        b.pads_expiry = None;
        let mut c = good("C");
        c.last_checked = None;
        c.status = Status::NotReady;
        let aeds = [r, b, c, good("D"), good("E")];
        let gs = [Guardian {
            id: "G1".into(),
            ..Guardian::default()
        }];
        for guardians in [None, Some(&gs[..])] {
            let t = check(&aeds, guardians, &opts());
            assert_eq!(summarize(&aeds, guardians, &opts()), t.summary);
            assert_eq!(t.summary.with_problems, t.devices.len());
        }
    }

    #[test]
    fn criticality_ranks_first() {
        let mut b = good("B");
        b.guardian_id = None;
        let mut c = good("C");
        c.guardian_id = None;
        c.last_checked = None;
        let mut t = check(&[b, c], None, &opts());
        let crit = HashMap::from([("B".to_string(), 12.5)]);
        t.rank_by_criticality(&crit);
        let ids: Vec<&str> = t.devices.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["B", "C"]);
        let mut out = Vec::new();
        t.write_table(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.lines().next().unwrap().contains("criticality"));
        assert!(text.contains("12.5"));
    }

    /// The ranking as a comparison sort states it: criticality (highest first, unknown
    /// last), then number of problems (most first), then id; a stable sort keeps equal ids in
    /// their order. [`Triage::sort`] must give the same order by sorting numbers.
    fn ranked_by_comparison(mut devices: Vec<DeviceTriage>) -> Vec<DeviceTriage> {
        devices.sort_by(|a, b| {
            let crit = match (a.criticality, b.criticality) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            crit.then(b.problems.len().cmp(&a.problems.len()))
                .then_with(|| a.id.cmp(&b.id))
        });
        devices
    }

    /// Ties at every key, repeated ids, signed zeros, infinities and NaNs, in any order:
    /// the ranking by numbers is the comparison sort's.
    #[test]
    fn ranking_matches_a_stable_comparison_sort() {
        let mut rng = crate::test_rng::Lcg(11);
        let crits = [
            Some(0.0),
            Some(-0.0),
            Some(1.0),
            Some(2.5),
            Some(-3.0),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            Some(f64::NAN),
            Some(-f64::NAN),
            None,
        ];
        for n in [0, 1, 2, 7, 50, 400] {
            let devices: Vec<DeviceTriage> = (0..n)
                .map(|i| DeviceTriage {
                    id: format!("D{}", (rng.unit() * 30.0) as u32),
                    name: format!("device {i}"),
                    postcode: String::new(),
                    status: Status::Unknown,
                    problems: vec![Problem::NeverChecked; 1 + (rng.unit() * 3.0) as usize],
                    criticality: crits[(rng.unit() * crits.len() as f64) as usize],
                })
                .collect();
            let mut t = check(&[], None, &opts());
            t.devices = devices.clone();
            t.sort();
            // Names are unique: they show that equal ids kept their order.
            let names = |ds: &[DeviceTriage]| ds.iter().map(|d| d.name.clone()).collect::<Vec<_>>();
            assert_eq!(
                names(&t.devices),
                names(&ranked_by_comparison(devices)),
                "{n} devices"
            );
        }
    }

    #[test]
    fn apply_order_puts_each_item_where_the_order_says() {
        let mut rng = crate::test_rng::Lcg(5);
        for n in [0usize, 1, 2, 3, 10, 257] {
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, (rng.unit() * (i + 1) as f64) as usize);
            }
            let want: Vec<usize> = order.iter().map(|&i| i * 10).collect();
            let mut items: Vec<usize> = (0..n).map(|i| i * 10).collect();
            apply_order(&mut items, &mut order.clone());
            assert_eq!(items, want, "{n} items");
        }
    }

    #[test]
    fn table_is_aligned() {
        let mut b = good("B-long-id");
        b.guardian_id = None;
        b.about.name = "Hall".into();
        let mut c = good("C");
        c.last_checked = None;
        c.about.name = "Surgery".into();
        let t = check(&[b, c], None, &opts());
        let mut out = Vec::new();
        t.write_table(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let cols: Vec<usize> = text
            .lines()
            .map(|l| {
                l.find("problem")
                    .or_else(|| l.find("no "))
                    .or_else(|| l.find("never"))
                    .unwrap()
            })
            .collect();
        assert!(cols.windows(2).all(|w| w[0] == w[1]), "{text}");
    }
}
