//! Stage 4: which AEDs count (the one rule), nearest AED and coverage at every radius,
//! criticality, hour of week, and the readiness triage ranked by criticality. Metres in the
//! run's CRS.

use super::PipelineError;
use super::inputs::{DemandStage, RegistryStage, to_metric};
use crate::coverage::hours::WeekCoverage;
use crate::coverage::{
    CountedRule, CoverageConfig, CoverageResult, Criticality, DemandPoint, Facility, FacilityIndex,
    RadiusTotals, ReadyRule, Scan, ScanWants, Selection, scan, select,
};
use crate::export::Progress;
use crate::geography::MetricProjection;
use crate::network::{NetworkError, WalkDistances, WalkNetwork};
use crate::study::Study;

/// What the assessment found.
pub struct Assessment {
    pub rule: CountedRule,
    /// Its `facilities` are moved into `index`: read them as `index.facilities()`.
    pub selection: Selection,
    pub index: FacilityIndex,
    pub config: CoverageConfig,
    pub result: CoverageResult,
    /// Per radius, in the order of `config.radii_m`.
    pub totals: Vec<RadiusTotals>,
    /// Per counted AED (index order); `None` when skipped.
    pub criticality: Option<Vec<Criticality>>,
    /// The place of the main radius in `config.radii_m`.
    pub main_k: usize,
    pub hours: Option<WeekCoverage>,
    /// The registry's readiness: the counts, and the devices only where they are listed.
    pub readiness: Readiness,
    /// With walking distance: the walking distances, and the straight line beside them.
    /// `result`, `totals`, criticality and hours above are then by walking.
    pub walk: Option<WalkStage>,
}

/// The readiness triage of the registry: the counts always (the summary's `attention`);
/// the devices with problems, ranked by criticality, only for the analysis output set (the
/// one that lists them: attention.csv, the attention layer, the report).
pub enum Readiness {
    Counted(crate::registry::Summary),
    Listed(crate::registry::Triage),
}

impl Readiness {
    pub fn summary(&self) -> &crate::registry::Summary {
        match self {
            Readiness::Counted(s) => s,
            Readiness::Listed(t) => &t.summary,
        }
    }

    /// The devices with problems, most urgent first; none when they are not listed.
    pub fn devices(&self) -> &[crate::registry::DeviceTriage] {
        match self {
            Readiness::Counted(_) => &[],
            Readiness::Listed(t) => &t.devices,
        }
    }
}

/// What walking distance adds to an assessment.
pub struct WalkStage {
    pub distances: WalkDistances,
    /// Straight-line coverage of the same points and AEDs.
    pub straight: CoverageResult,
    pub straight_totals: Vec<RadiusTotals>,
    /// Median of walking / straight-line distance to the nearest AED by walking, over points
    /// reached at a straight-line distance above zero.
    pub median_ratio: Option<f64>,
    /// Points where walking reaches an AED within a radius that the straight line does not
    /// (must be zero: walking is never shorter than the straight line).
    pub walk_beats_straight: usize,
    /// Per radius (in order): land within that walking distance of a counted AED, metres,
    /// not yet clipped to the study area.
    pub service_areas: Vec<(f64, geo::MultiPolygon<f64>)>,
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

/// The AEDs a study counts and their index: they need only the registry and the metric CRS,
/// so the pipeline builds them beside the demand stage.
pub struct Counted {
    pub rule: CountedRule,
    /// Its `facilities` are moved into `index`: read them as `index.facilities()`.
    pub selection: Selection,
    pub index: FacilityIndex,
}

/// The study's radii and detour factor, as the assessment counts them.
fn coverage_config(study: &Study) -> CoverageConfig {
    CoverageConfig {
        radii_m: study.analysis.radii_m.clone(),
        detour_factor: study.analysis.distance.detour_factor(),
    }
}

/// Selects the counted AEDs by the study's rule, in metres, and indexes them.
pub fn counted(study: &Study, projection: &MetricProjection, registry: &RegistryStage) -> Counted {
    let rule = counted_rule(study);
    let to_m = |c: &crate::registry::Coord| to_metric(projection, c);
    let mut selection = select(&registry.aeds, &rule, &to_m);
    // Moved, not copied (a copy is an allocation per counted AED).
    let index = FacilityIndex::new(std::mem::take(&mut selection.facilities));
    // The largest radius asked of the index: the assessment's, or the siting's.
    let config = coverage_config(study);
    let siting_m = study
        .siting
        .as_ref()
        .map(|s| s.radius_m / config.detour_factor);
    let radii = config.effective_radii_m().into_iter().chain(siting_m);
    index.prepare_for_radius(radii.fold(0.0, f64::max));
    Counted {
        rule,
        selection,
        index,
    }
}

/// Runs the assessment of the `counted` AEDs.
pub fn assess(
    study: &Study,
    counted: Counted,
    registry: &RegistryStage,
    demand: &DemandStage,
    network: Option<&WalkNetwork>,
    progress: &Progress,
) -> Result<Assessment, PipelineError> {
    let Counted {
        rule,
        selection,
        index,
    } = counted;
    let config = coverage_config(study);
    let points = &demand.points;
    // With no placed demand there is nothing for criticality or hours to measure.
    let nothing = points.is_empty();
    let skip = study.analysis.skip;
    let wants = ScanWants {
        criticality: !(skip.criticality || nothing),
        hours: (!(skip.hours || nothing)).then_some(selection.availability.as_slice()),
        demand_sums: Some(demand.sums),
    };
    let walk = match network {
        Some(net) => Some(walk_stage(
            net,
            &index,
            index.facilities(),
            points,
            &config,
            progress,
        )?),
        None => None,
    };
    let mut check = crate::registry::CheckOptions::new(rule.ready.as_of);
    check.check_days = rule.ready.max_days_since_check;
    // The readiness triage needs only the registry: it runs beside the pass.
    let guardians = registry.guardians.as_deref();
    let (scanned, mut readiness) = rayon::join(
        || {
            progress.step("coverage, criticality and hour of week", || match &walk {
                Some(w) => scan(&w.distances, points, &config, wants),
                None => scan(&index, points, &config, wants),
            })
        },
        // Only the analysis lists the devices (attention.csv, the attention layer, the
        // report); the other output sets need the counts alone. Unranked: the list is ranked
        // by criticality (a full sort) once the pass is done.
        || match super::is_analysis(study) {
            true => Readiness::Listed(crate::registry::check_unranked(
                &registry.aeds,
                guardians,
                &check,
            )),
            false => Readiness::Counted(crate::registry::summarize(
                &registry.aeds,
                guardians,
                &check,
            )),
        },
    );
    let Scan {
        result,
        totals,
        criticality: crit,
        hours,
    } = scanned?;
    let main_k = study.analysis.main_index();
    if let Readiness::Listed(t) = &mut readiness {
        let mut ids = index.id_cursor();
        t.rank_with(|id| main_criticality(&mut ids, crit.as_deref(), main_k, id));
    }
    Ok(Assessment {
        rule,
        selection,
        index,
        config,
        result,
        totals,
        criticality: crit,
        main_k,
        hours,
        readiness,
        walk,
    })
}

impl Assessment {
    /// The demand that only the counted AED `id` covers at the main radius; `None` when no
    /// counted AED has that id, or criticality was skipped.
    pub fn main_criticality(&self, id: &str) -> Option<f64> {
        let mut ids = self.index.id_cursor();
        main_criticality(&mut ids, self.criticality.as_deref(), self.main_k, id)
    }
}

fn main_criticality(
    ids: &mut crate::coverage::engine::IdCursor<'_>,
    crit: Option<&[Criticality]>,
    main_k: usize,
    id: &str,
) -> Option<f64> {
    let f = ids.find(id)?;
    Some(crit?.get(f as usize)?.demand_sole[main_k])
}

/// Walking distances of the counted AEDs to every point, cut at the largest radius, with the
/// straight line beside them.
fn walk_stage(
    net: &WalkNetwork,
    index: &FacilityIndex,
    facilities: &[Facility],
    points: &[DemandPoint],
    config: &CoverageConfig,
    progress: &Progress,
) -> Result<WalkStage, PipelineError> {
    let max_m = config.radii_m.iter().copied().fold(0.0, f64::max);
    let distances = progress.step("walking distances", || {
        WalkDistances::compute(net, facilities, points, max_m)
    });
    if !points.is_empty() && distances.point_feet.iter().all(Option::is_none) {
        return Err(NetworkError::NoOverlap {
            path: net.path.clone(),
            max_m,
        }
        .into());
    }
    let straight = crate::coverage::assess(index, points, config)?;
    let straight_totals = straight.totals(points);
    let walk_beats_straight = points
        .iter()
        .zip(&distances.nearest)
        .filter(|(p, near)| {
            near.is_some_and(|(f, d)| {
                let a = &facilities[f as usize];
                d + 1e-6 < (a.x_m - p.x_m).hypot(a.y_m - p.y_m)
            })
        })
        .count();
    let service_areas = progress.step("walking service areas", || {
        config
            .radii_m
            .iter()
            .map(|&r| {
                let covered: Vec<(f64, f64, f64)> = points
                    .iter()
                    .zip(&distances.nearest)
                    .filter_map(|(p, n)| n.filter(|(_, d)| *d <= r).map(|(_, d)| (p.x_m, p.y_m, d)))
                    .collect();
                let area = crate::network::service::service_area(
                    &net.graph,
                    &distances.aed_feet,
                    r,
                    &covered,
                );
                (r, area)
            })
            .collect()
    });
    Ok(WalkStage {
        service_areas,
        median_ratio: median_ratio(&distances, facilities, points),
        distances,
        straight,
        straight_totals,
        walk_beats_straight,
    })
}

fn median_ratio(d: &WalkDistances, facilities: &[Facility], points: &[DemandPoint]) -> Option<f64> {
    let mut ratios: Vec<f64> = points
        .iter()
        .zip(&d.nearest)
        .filter_map(|(p, near)| {
            let (f, walk_m) = (*near)?;
            let a = &facilities[f as usize];
            let straight_m = (a.x_m - p.x_m).hypot(a.y_m - p.y_m);
            (straight_m > 0.0).then(|| walk_m / straight_m)
        })
        .collect();
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    Some(if n % 2 == 1 {
        ratios[n / 2]
    } else {
        (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0
    })
}
