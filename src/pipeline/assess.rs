//! Stage 4: which AEDs count (the one rule), nearest AED and coverage at every radius,
//! criticality, hour of week, and the readiness triage ranked by criticality. Metres in the
//! run's CRS.

use std::collections::HashMap;

use super::PipelineError;
use super::inputs::{DemandStage, RegistryStage, to_metric};
use crate::coverage::hours::WeekCoverage;
use crate::coverage::{
    CountedRule, CoverageConfig, CoverageResult, Criticality, FacilityIndex, RadiusTotals,
    ReadyRule, Scan, ScanWants, Selection, scan, select,
};
use crate::export::Progress;
use crate::geography::MetricProjection;
use crate::study::Study;

/// What the assessment found.
pub struct Assessment {
    pub rule: CountedRule,
    pub selection: Selection,
    pub index: FacilityIndex,
    pub config: CoverageConfig,
    pub result: CoverageResult,
    /// Per radius, in the order of `config.radii_m`.
    pub totals: Vec<RadiusTotals>,
    /// Per counted AED (index order); `None` when skipped.
    pub criticality: Option<Vec<Criticality>>,
    /// AED id → demand only it covers at the main radius.
    pub criticality_main: HashMap<String, f64>,
    pub hours: Option<WeekCoverage>,
    pub triage: crate::registry::Triage,
}

/// The counted-AED rule of a study (as of its date, else today).
pub fn counted_rule(study: &Study) -> CountedRule {
    let c = &study.analysis.counted;
    CountedRule {
        scenario: c.scenario,
        ready: ReadyRule {
            as_of: c.as_of.unwrap_or_else(|| chrono::Local::now().date_naive()),
            max_days_since_check: c.check_days,
        },
    }
}

/// Runs the assessment.
pub fn assess(
    study: &Study,
    projection: &MetricProjection,
    registry: &RegistryStage,
    demand: &DemandStage,
    progress: &Progress,
) -> Result<Assessment, PipelineError> {
    let rule = counted_rule(study);
    let to_m = |c: &crate::registry::Coord| to_metric(projection, c);
    let selection = select(&registry.aeds, &rule, &to_m);
    let index = FacilityIndex::new(selection.facilities.clone());
    let config = CoverageConfig {
        radii_m: study.analysis.radii_m.clone(),
        detour_factor: study.analysis.distance.detour_factor(),
    };
    let points = &demand.points;
    // With no placed demand there is nothing for criticality or hours to measure.
    let nothing = points.is_empty();
    let skip = study.analysis.skip;
    let wants = ScanWants {
        criticality: !(skip.criticality || nothing),
        hours: (!(skip.hours || nothing)).then_some(selection.availability.as_slice()),
    };
    let Scan {
        result,
        criticality: crit,
        hours,
    } = progress.step("coverage, criticality and hour of week", || {
        scan(&index, points, &config, wants)
    })?;
    let totals = result.totals(points);
    let main_k = study.analysis.main_index();
    let criticality_main: HashMap<String, f64> = crit
        .iter()
        .flatten()
        .map(|c| {
            (
                index.facilities()[c.facility as usize].id.clone(),
                c.demand_sole[main_k],
            )
        })
        .collect();
    let mut check = crate::registry::CheckOptions::new(rule.ready.as_of);
    check.check_days = rule.ready.max_days_since_check;
    let mut triage = crate::registry::check(&registry.aeds, registry.guardians.as_deref(), &check);
    triage.rank_by_criticality(&criticality_main);
    Ok(Assessment {
        rule,
        selection,
        index,
        config,
        result,
        totals,
        criticality: crit,
        criticality_main,
        hours,
        triage,
    })
}
