//! `summary.json`: one schema for every command (see docs/summary-schema.md).

use rayon::prelude::*;
use serde_json::{Value, json};

use super::StudyRun;
use super::layers::round;

/// A percentage, or `null` when there is nothing to take a share of.
fn pct(total: f64, pct: f64) -> Value {
    if total > 0.0 && pct.is_finite() {
        json!(round(pct, 3))
    } else {
        Value::Null
    }
}

/// The version of the summary schema.
pub const SCHEMA_VERSION: u32 = 2;

impl StudyRun {
    /// The whole summary.
    pub fn summary(&self) -> Value {
        let s = &self.study;
        let a = &self.assessment;
        let main_k = s.analysis.main_index();
        let main = &a.totals[main_k];
        json!({
            "schema_version": SCHEMA_VERSION,
            "title": s.title,
            "study_file": s.file.as_ref().and_then(|f| f.file_name()).map(|n| n.to_string_lossy().into_owned()),
            "output": format!("{:?}", s.output.set).to_lowercase(),
            "metric_crs": self.metric_crs(),
            "metric_crs_name": self.crs_label(),
            "metric_crs_reason": self.crs_reason,
            "demand_kind": self.demand.kind,
            "demand_label": s.demand.label(),
            "scenario": a.rule.scenario.label(),
            "as_of": a.rule.ready.as_of.to_string(),
            "ready_max_days_since_check": a.rule.ready.max_days_since_check,
            "distance": s.analysis.distance.label(),
            "detour_factor": s.analysis.distance.detour_factor(),
            "main_radius_m": s.analysis.main_radius_m,
            "radii": self.radii_json(),
            "walk": self.walk_json(),
            "main": {
                "radius_m": main.radius_m,
                "demand_covered": round(main.demand_covered, 6),
                "demand_uncovered": round(main.demand_total - main.demand_covered, 6),
                "pct_covered": pct(main.demand_total, main.pct_covered),
            },
            "accounting": self.accounting_json(),
            "aeds": self.aeds_json(),
            "attention": {
                "devices_with_problems": a.readiness.summary().with_problems,
                "without_guardian": a.readiness.summary().count(crate::registry::ProblemKind::NoGuardian),
            },
            "hours": self.hours_json(),
            "study_area_km2": self.areas.study_area.as_ref().map(|x| round(geo::Area::unsigned_area(x) / 1e6, 3)),
            "gaps": self.areas.gaps.as_ref().map(|g| json!({
                "radius_m": s.analysis.main_radius_m,
                "count": g.len(),
                "demand_in_gaps": round(g.iter().map(|g| g.demand).sum::<f64>(), 6),
            })),
            "areas": self.areas.rows.len(),
            "worst_areas": self.areas.worst(main_k, s.output.worst_areas).iter().map(|r| json!({
                "layer": r.layer, "id": r.stats.id,
                "demand_uncovered": round(r.stats.radii[main_k].demand_uncovered, 3),
                "pct_demand_covered": round(r.stats.radii[main_k].pct_demand_covered, 2),
            })).collect::<Vec<_>>(),
            "siting": self.siting_json(),
            "equity": self.equity_json(),
            "best_case": self.best_case_json(),
            "notes": self.notes,
            "sources": self.sources.iter().map(|x| json!({
                "key": x.key, "attribution": x.attribution, "licence": x.licence, "publishable": x.publishable,
            })).collect::<Vec<_>>(),
            "not_for_publication": !self.sources.all_publishable(),
        })
    }

    fn radii_json(&self) -> Vec<Value> {
        self.assessment
            .totals
            .iter()
            .map(|t| {
                json!({
                    "radius_m": t.radius_m, "effective_radius_m": round(t.effective_radius_m, 3),
                    "demand_total": round(t.demand_total, 6), "demand_covered": round(t.demand_covered, 6),
                    "demand_uncovered": round(t.demand_total - t.demand_covered, 6),
                    "pct_covered": pct(t.demand_total, t.pct_covered),
                    "residents_total": round(t.residents_total, 0), "residents_covered": round(t.residents_covered, 0),
                    "pct_residents_covered": pct(t.residents_total, t.pct_residents_covered),
                    "points_total": t.points_total, "points_covered": t.points_covered,
                })
            })
            .collect()
    }

    /// Walking beside the straight line, the network's size and who could not be reached.
    fn walk_json(&self) -> Value {
        let (Some(w), Some(net)) = (&self.assessment.walk, &self.network) else {
            return Value::Null;
        };
        let radii: Vec<Value> = self
            .assessment
            .totals
            .iter()
            .zip(&w.straight_totals)
            .map(|(walk, st)| {
                json!({
                    "radius_m": walk.radius_m,
                    "pct_covered_walk": pct(walk.demand_total, walk.pct_covered),
                    "pct_covered_straight": pct(st.demand_total, st.pct_covered),
                    "points_covered_walk": walk.points_covered,
                    "points_covered_straight": st.points_covered,
                })
            })
            .collect();
        let unreached: serde_json::Map<String, Value> = w
            .distances
            .unreached_counts()
            .iter()
            .map(|(k, v)| {
                (
                    serde_json::to_value(k)
                        .ok()
                        .and_then(|k| k.as_str().map(String::from))
                        .unwrap_or_default(),
                    json!(v),
                )
            })
            .collect();
        json!({
            "network_file": net.path.file_name().map(|n| n.to_string_lossy().into_owned()),
            "network": net.graph.stats,
            "search_cut_m": w.distances.max_m,
            "radii": radii,
            "median_walk_to_straight_ratio": w.median_ratio.map(|r| round(r, 4)),
            "points_unreached": unreached,
            "aeds_off_network": w.distances.aeds_off_network,
            "points_walk_shorter_than_straight": w.walk_beats_straight,
        })
    }

    fn accounting_json(&self) -> Value {
        let r = &self.demand.report;
        // Counted on every core: 1.7 M results at GB scale.
        let no_aed = (self.assessment.result.points.par_iter())
            .filter(|p| p.nearest().is_none())
            .count();
        json!({
            "input_total": round(r.input_total, 6),
            "placed_total": round(r.placed_total, 6),
            "unknown_total": round(r.unknown_total, 6),
            "unmatched_total": round(r.unmatched_total, 6),
            "unknown_rows": r.unknown_rows,
            "unmatched_rows": r.unmatched_rows,
            "placement_error": r.placement_error,
            "points": self.demand.points.len(),
            "points_without_aed": no_aed,
            "unmatched": r.unmatched.iter().take(50).map(|u| json!({
                "source": u.source, "postcode": u.postcode, "weight": u.weight, "reason": u.reason,
            })).collect::<Vec<_>>(),
        })
    }

    fn aeds_json(&self) -> Value {
        let c = &self.assessment.selection.counts;
        json!({
            "registry_total": c.registry_total,
            "counted": c.counted,
            "without_position": c.unlocated,
            "not_converted": c.not_converted,
            "retired": c.retired,
            "excluded_by_scenario": c.excluded_by_scenario,
            "unknown_hours": c.unknown_hours,
            "bad_rows": self.registry.bad_rows,
            "known_total": self.registry.known_total,
        })
    }

    fn hours_json(&self) -> Value {
        let Some(w) = &self.assessment.hours else {
            return Value::Null;
        };
        let (y, m, d) = crate::coverage::hours::REFERENCE_MONDAY;
        json!({
            "reference_week_monday": format!("{y:04}-{m:02}-{d:02}"),
            "worst_hour": w.worst_hour.iter().map(|h| crate::coverage::hours::hour_label(*h)).collect::<Vec<_>>(),
            "worst_pct_covered": w.worst_hour.iter().enumerate().map(|(k, h)| round(w.hours[*h].pct_demand_covered[k], 6)).collect::<Vec<_>>(),
        })
    }

    fn siting_json(&self) -> Value {
        let Some(s) = &self.siting else {
            return Value::Null;
        };
        let mut v = serde_json::to_value(&s.summary).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("k".into(), json!(s.sites.len()));
            m.insert("candidates".into(), json!(s.candidates_label));
            m.insert(
                "greedy_bound_1_minus_1_over_e".into(),
                json!(round(s.bound, 6)),
            );
            m.insert(
                "installation_included".into(),
                json!(
                    self.study
                        .siting
                        .as_ref()
                        .is_some_and(|x| x.installation_gbp > 0.0)
                ),
            );
        }
        v
    }
}
