//! What a run read, used, skipped and could not match — the one line every command ends with
//! on stderr — and the runs where nothing usable remains, each with its own exit code.

use std::fmt;

use super::StudyRun;

/// How many bad rows an account names before "…".
pub const FIRST_SKIPS: usize = 3;

/// One input file: rows read, used and skipped, with the first skips named.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileAccount {
    /// The file's name as the messages give it.
    pub file: String,
    /// Data rows read (header and blank lines excluded).
    pub read: usize,
    pub used: usize,
    pub skipped: usize,
    /// The first [`FIRST_SKIPS`] skipped rows as `file:line: column: reason (value)`.
    pub first: Vec<String>,
}

impl FileAccount {
    /// The account of `file`, from its used rows and every skip message.
    pub fn new(file: impl Into<String>, used: usize, skips: &[String]) -> FileAccount {
        FileAccount {
            file: file.into(),
            read: used + skips.len(),
            used,
            skipped: skips.len(),
            first: skips.iter().take(FIRST_SKIPS).cloned().collect(),
        }
    }
}

impl fmt::Display for FileAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} read, {} used, {} skipped",
            self.file, self.read, self.used, self.skipped
        )?;
        if !self.first.is_empty() {
            let more = if self.skipped > self.first.len() {
                "; …"
            } else {
                ""
            };
            write!(f, " ({}{more})", self.first.join("; "))?;
        }
        Ok(())
    }
}

/// Why a run stopped with nothing usable: each has its own exit code (README, "Exit codes").
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unusable {
    /// A registry file with rows, every one rejected.
    #[error("no usable AED: every row of the registry was rejected: {0}")]
    NoAed(String),
    /// Demand was given but none of it could be placed.
    #[error("no demand matched: nothing of the demand could be placed: {0}")]
    NoDemand(String),
    /// Siting was asked for but no candidate site could be placed.
    #[error("no candidate placed: siting has no candidate site to choose from: {0}")]
    NoCandidate(String),
    /// `registry check --criticality`: no id of the criticality file is a listed device.
    #[error("no criticality matched: {0}")]
    NoCriticality(String),
}

impl Unusable {
    /// The process exit code (0 ok, 1 error, 2 usage; these 3–6).
    pub fn exit_code(&self) -> u8 {
        match self {
            Unusable::NoAed(_) => 3,
            Unusable::NoDemand(_) => 4,
            Unusable::NoCandidate(_) => 5,
            Unusable::NoCriticality(_) => 6,
        }
    }
}

/// The registry's part of the account; an empty registry is said so, not an error.
pub fn registry_line(reg: Option<&FileAccount>) -> String {
    match reg {
        None => "no registry: no existing AED (siting from scratch)".into(),
        Some(a) if a.read == 0 => format!(
            "{}: no rows, an empty registry (siting from scratch: no existing AED)",
            a.file
        ),
        Some(a) => a.to_string(),
    }
}

/// Fails when a registry with rows kept none.
pub fn check_registry(reg: Option<&FileAccount>) -> Result<(), Unusable> {
    match reg {
        Some(a) if a.read > 0 && a.used == 0 => Err(Unusable::NoAed(a.to_string())),
        _ => Ok(()),
    }
}

impl StudyRun {
    /// The demand's part of the account: rows skipped by the reader, then matched and
    /// unmatched postcodes (counts) or points used.
    pub fn demand_line(&self) -> String {
        demand_line(&self.demand)
    }

    /// The one-line account: registry, then demand, then siting.
    pub fn account(&self) -> String {
        let mut line = format!(
            "{}; {}",
            registry_line(self.registry.account.as_ref()),
            self.demand_line()
        );
        if let Some(s) = &self.siting {
            line.push_str(&format!(
                "; candidates: {} given, {} placed",
                s.summary.candidates_given,
                s.instance.candidates.len()
            ));
        }
        line
    }

    /// A warning when most of the demand could not be matched (e.g. a Code-Point file in
    /// the wrong encoding), `None` otherwise.
    pub fn demand_warning(&self) -> Option<String> {
        let r = &self.demand.report;
        (r.rows > 0 && 2 * r.unmatched_rows > r.rows).then(|| {
            format!(
                "warning: {} of {} demand rows matched no postcode unit ({:.6} of {:.6} of the demand): check the demand file and the postcode lookup",
                r.unmatched_rows, r.rows, r.unmatched_total, r.input_total
            )
        })
    }
}

/// See [`StudyRun::demand_line`].
pub fn demand_line(d: &super::inputs::DemandStage) -> String {
    let r = &d.report;
    let mut parts = Vec::new();
    if let Some(f) = &d.file {
        parts.push(f.to_string());
    }
    if d.kind == "counts" {
        let matched = r.rows - r.unmatched_rows - r.unknown_rows;
        let mut s = format!(
            "demand: {} rows, {matched} matched, {} unmatched, {} unknown",
            r.rows, r.unmatched_rows, r.unknown_rows
        );
        let first: Vec<String> = r
            .unmatched
            .iter()
            .take(FIRST_SKIPS)
            .map(|u| format!("{}: {} ({})", u.source, u.reason, u.postcode))
            .collect();
        if !first.is_empty() {
            let more = if r.unmatched_rows > first.len() {
                "; …"
            } else {
                ""
            };
            s.push_str(&format!(" ({}{more})", first.join("; ")));
        }
        parts.push(s);
    } else {
        parts.push(format!("demand: {} points ({})", d.points.len(), d.kind));
    }
    parts.join("; ")
}

/// Fails when demand that should place points placed none.
pub fn check_demand(
    study: &crate::study::Study,
    d: &super::inputs::DemandStage,
) -> Result<(), Unusable> {
    use crate::study::Demand;
    let given = matches!(
        study.demand,
        Demand::PostcodeCounts { .. } | Demand::Points { .. }
    );
    if given && d.points.iter().all(|p| p.weight <= 0.0) {
        return Err(Unusable::NoDemand(demand_line(d)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_account_names_the_first_skips() {
        let skips: Vec<String> = (2..7)
            .map(|l| format!("a.csv:{l}: access: bad (x)"))
            .collect();
        let a = FileAccount::new("a.csv", 0, &skips);
        assert_eq!(
            a.to_string(),
            "a.csv: 5 read, 0 used, 5 skipped (a.csv:2: access: bad (x); a.csv:3: access: bad (x); a.csv:4: access: bad (x); …)"
        );
        assert_eq!(check_registry(Some(&a)).unwrap_err().exit_code(), 3);
        let empty = FileAccount::new("a.csv", 0, &[]);
        assert!(check_registry(Some(&empty)).is_ok());
        assert!(registry_line(Some(&empty)).contains("empty registry"));
    }
}
