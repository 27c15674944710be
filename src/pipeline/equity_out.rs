//! The equity and best-case outputs of a [`StudyRun`]: `equity.csv`, `best_case.csv`,
//! `lsoas.geojson` (through [`crate::export::geojson`]), the coverage-by-decile bar chart,
//! their `summary.json` objects and their report sections.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value as J, json};

use super::best_case::Best;
use super::equity::{EquityStage, Group};
use super::layers::{radius_name, round};
use super::{PipelineError, StudyRun};
use crate::export::csv_out::{metres, num, opt};
use crate::export::{BarChart, CsvTable, Feature, Layer, Value};

fn pct_json(v: Option<f64>) -> J {
    v.map_or(J::Null, |v| json!(round(v, 3)))
}

fn pct_text(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.1}%"))
}

/// Why a row of `equity.csv` has empty cells (empty when it has none): every empty cell is
/// explained in the row's `note`.
fn empty_cells_note(g: &Group, by_walking: bool) -> String {
    let mut why = Vec::new();
    if g.key == "imd_decile_unknown" {
        why.push("postcode units with no IMD decile (outside every LSOA of the table, or an LSOA without a deprivation row): counted here, never dropped");
    }
    if g.key == "age_unknown" {
        why.push("postcode units with no age table row: counted here, never dropped");
    }
    if g.residents <= 0.0 {
        why.push("no residents, so no share or distance of residents");
    } else if g.median_distance_m.is_none() {
        why.push(if by_walking {
            "no counted AED reachable along the network, so no distance"
        } else {
            "no counted AED, so no distance"
        });
    }
    match g.arrests {
        None => why.push("the ages of arrests are not in the data, so no arrests by age"),
        Some(a) if a <= 0.0 => why.push("no arrests, so no share of arrests"),
        Some(_) => {}
    }
    why.join("; ")
}

impl StudyRun {
    fn group_json(&self, g: &Group) -> J {
        let radii = &self.study.analysis.radii_m;
        json!({
            "group": g.key,
            "imd_decile": g.imd_decile,
            "units": g.units,
            "residents": round(g.residents, 3),
            "arrests": g.arrests.map(|a| round(a, 6)),
            "within": radii.iter().enumerate().map(|(k, r)| json!({
                "radius_m": r,
                "residents_covered": round(g.residents_covered[k], 3),
                "pct_residents_covered": pct_json(g.pct_residents(k)),
                "pct_arrests_covered": pct_json(g.pct_arrests(k)),
            })).collect::<Vec<_>>(),
            "median_distance_m": g.median_distance_m.map(|d| round(d, 1)),
            "p90_distance_m": g.p90_distance_m.map(|d| round(d, 1)),
        })
    }

    /// The `equity` object of summary.json (`null` without `[equity]`).
    pub fn equity_json(&self) -> J {
        let Some(e) = &self.equity else {
            return J::Null;
        };
        let k = self.study.analysis.main_index();
        let j = &e.join;
        json!({
            "distance": self.study.analysis.distance.label(),
            "join": {
                "lsoas_in_file": j.lsoas_in_file,
                "lsoas_with_polygon": j.lsoas_with_polygon,
                "lsoas_without_deprivation": j.lsoas_without_deprivation,
                "bad_rows": j.bad_rows,
                "units_total": j.units_total,
                "units_with_decile": j.units_with_decile,
                "units_outside_lsoas": j.units_outside_lsoas,
                "units_without_decile": j.units_without_decile,
                "residents_without_decile": round(j.residents_without_decile, 3),
                "residents_without_age": round(j.residents_without_age, 3),
                "residents_by_decile_in_file": j.residents_by_decile_file.iter().enumerate()
                    .map(|(i, r)| json!({"imd_decile": i + 1, "residents": r})).collect::<Vec<_>>(),
            },
            "deciles": e.groups.iter().filter(|g| g.key.starts_with("imd_decile")).map(|g| self.group_json(g)).collect::<Vec<_>>(),
            "age": e.groups.iter().filter(|g| g.key.starts_with("age_")).map(|g| self.group_json(g)).collect::<Vec<_>>(),
            "overall": self.group_json(&e.overall),
            "gap": {
                "most_deprived": self.group_json(&e.gap.most),
                "least_deprived": self.group_json(&e.gap.least),
                "median_distance_gap_m": e.gap.median_distance_gap_m().map(|d| round(d, 1)),
                "radius_m": self.main_radius_m(),
                "coverage_gap_pct_points": pct_json(e.gap.coverage_gap_pct_points(k)),
            },
        })
    }

    /// The `best_case` array of summary.json (`null` when not computed).
    pub fn best_case_json(&self) -> J {
        let Some(b) = &self.best_case else {
            return J::Null;
        };
        let best = |x: &Option<Best>| {
            x.as_ref().map_or(J::Null, |x| {
                json!({
                    "new_aeds_placed": x.new_sites,
                    "best_case_pct": round(x.quoted_pct(), 3),
                    "kind": x.kind.as_str(),
                    "floor_pct": round(x.floor_pct, 3),
                    "floor_kind": "greedy",
                    "floor_from": x.floor_from,
                    "located_pct": round(x.located_pct, 3),
                    "exact_status": x.exact_status,
                })
            })
        };
        J::Array(
            b.iter()
                .map(|e| {
                    json!({
                        "id": e.id,
                        "aeds_counted": e.aeds_counted,
                        "aeds_located": e.aeds_located,
                        "postcode_units": e.units,
                        "radius_m": self.main_radius_m(),
                        "residents": best(&e.residents),
                        "arrests": best(&e.arrests),
                        "aeds_needed": e.needed.iter().map(|n| json!({
                            "target_pct_residents": n.target_pct,
                            "at_least": n.at_least,
                            "at_most": n.at_most,
                            "kind": n.kind(),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )
    }

    /// equity.csv: one row per decile, age band, the two extremes and everyone.
    pub fn equity_table(&self) -> Option<CsvTable> {
        let e = self.equity.as_ref()?;
        let radii = &self.study.analysis.radii_m;
        let mut head: Vec<String> = ["group", "imd_decile", "units", "residents", "arrests"]
            .map(String::from)
            .to_vec();
        for name in ["pct_residents_within", "pct_arrests_within"] {
            head.extend(radii.iter().map(|r| radius_name(name, *r)));
        }
        // The distance kind is in the names: a CSV has no metadata to say it.
        let (median, p90) = if e.by_walking {
            ("median_walking_distance_m", "p90_walking_distance_m")
        } else {
            ("median_distance_m", "p90_distance_m")
        };
        head.extend([median, p90, "note"].map(String::from));
        let mut t = CsvTable::new(head);
        let rows = e
            .groups
            .iter()
            .chain([&e.gap.most, &e.gap.least, &e.overall]);
        for g in rows {
            let mut row = vec![
                g.key.clone(),
                opt(g.imd_decile),
                g.units.to_string(),
                num(g.residents, 1),
                g.arrests.map_or_else(String::new, |a| num(a, 3)),
            ];
            row.extend(
                (0..radii.len())
                    .map(|k| g.pct_residents(k).map_or_else(String::new, |v| num(v, 3))),
            );
            row.extend(
                (0..radii.len()).map(|k| g.pct_arrests(k).map_or_else(String::new, |v| num(v, 3))),
            );
            row.push(g.median_distance_m.map_or_else(String::new, |d| num(d, 1)));
            row.push(g.p90_distance_m.map_or_else(String::new, |d| num(d, 1)));
            row.push(empty_cells_note(g, e.by_walking));
            t.push(row);
        }
        Some(t)
    }

    /// best_case.csv: one row per area.
    pub fn best_case_table(&self) -> Option<CsvTable> {
        let b = self.best_case.as_ref()?;
        let r = self.main_radius_m();
        let mut head: Vec<String> = vec!["id".into(), "aeds_counted".into(), "aeds_located".into()];
        for w in ["residents", "arrests"] {
            head.push(radius_name(&format!("best_case_pct_{w}"), r));
            head.push(format!("best_case_{w}_kind"));
            head.push(radius_name(&format!("greedy_floor_pct_{w}"), r));
            head.push(radius_name(&format!("located_pct_{w}"), r));
        }
        for t in super::best_case::TARGETS_PCT {
            head.push(format!("aeds_needed_{t:.0}pct_at_least"));
            head.push(format!("aeds_needed_{t:.0}pct_at_most"));
        }
        let mut t = CsvTable::new(head);
        for e in b {
            let mut row = vec![
                e.id.clone(),
                e.aeds_counted.to_string(),
                e.aeds_located.to_string(),
            ];
            for x in [&e.residents, &e.arrests] {
                match x {
                    Some(x) => row.extend([
                        num(x.quoted_pct(), 3),
                        x.kind.as_str().into(),
                        num(x.floor_pct, 3),
                        num(x.located_pct, 3),
                    ]),
                    None => {
                        row.extend([String::new(), String::new(), String::new(), String::new()])
                    }
                }
            }
            for n in &e.needed {
                row.push(n.at_least.to_string());
                row.push(opt(n.at_most));
            }
            t.push(row);
        }
        Some(t)
    }

    /// lsoas.geojson: every LSOA holding postcode units, with its decile, residents,
    /// coverage at the main radius and median distance; `None` without LSOA polygons.
    pub fn lsoas_layer(&self) -> Result<Option<Layer>, PipelineError> {
        let Some(e) = &self.equity else {
            return Ok(None);
        };
        let Some(polys) = &e.inputs.polygons else {
            return Ok(None);
        };
        let k = self.study.analysis.main_index();
        let r = self.main_radius_m();
        let cov = radius_name("pct_residents_within", r);
        let mut l = self.layer(
            "lsoas",
            vec![
                ("imd", Value::from("English Indices of Deprivation 2025, national decile: 1 = most deprived 10%")),
                ("distance", Value::from(self.study.analysis.distance.label())),
            ],
        );
        for f in &e.lsoas {
            let Some(area) = polys.get(&f.lsoa21cd) else {
                continue;
            };
            let g = &f.group;
            l.features.push(
                Feature::new(f.lsoa21cd.as_str(), self.wgs84(area.geometry_m.clone())?)
                    .with("lsoa21cd", f.lsoa21cd.as_str())
                    .with("lsoa21nm", area.name.as_str())
                    .with("imd_decile", f.imd_decile.map(u32::from))
                    .with("residents", Value::rounded(g.residents, 1))
                    .with(cov.as_str(), g.pct_residents(k).map(|v| round(v, 2)))
                    .with(
                        "median_distance_m",
                        g.median_distance_m.map(|d| round(d, 1)),
                    ),
            );
        }
        Ok(Some(l))
    }

    /// The bar chart of residents within the main radius by decile.
    pub fn equity_chart(&self) -> Option<BarChart> {
        let e = self.equity.as_ref()?;
        let k = self.study.analysis.main_index();
        let r = metres(self.main_radius_m());
        let gap = e.gap.coverage_gap_pct_points(k);
        Some(BarChart {
            title: format!("Residents within {r} m of a counted AED, by deprivation"),
            subtitle: format!(
                "All residents {} · most (deciles 1-2) minus least (9-10) deprived: {} points",
                pct_text(e.overall.pct_residents(k)),
                gap.map_or_else(|| "–".into(), |g| format!("{g:+.1}"))
            ),
            x_label: "IMD 2025 national decile (1 = most deprived 10% of England)".into(),
            bars: e
                .groups
                .iter()
                .filter(|g| g.imd_decile.is_some())
                .map(|g| (g.key.trim_start_matches("imd_decile_").to_string(), g.pct_residents(k)))
                .collect(),
            notes: vec![
                format!(
                    "{} to the nearest counted AED; {} counted.",
                    if e.by_walking { "Walking distance along the network" } else { "Straight-line distance" },
                    self.assessment.selection.counts.counted
                ),
                "Census 2021 residents on postcode units (Code-Point Open) by LSOA 2021; MHCLG IMD 2025 (OGL v3).".into(),
            ],
        })
    }

    /// Residents of a report district by decile group (1-3, 4-7, 8-10, unknown), %.
    fn deprivation_profile(e: &EquityStage, run: &StudyRun) -> BTreeMap<String, [f64; 4]> {
        let mut out: BTreeMap<String, [f64; 4]> = BTreeMap::new();
        let Some(units) = &run.demand.units else {
            return out;
        };
        for i in 0..units.len() {
            let Some(d) = super::districts::district_of(units.postcode(i)) else {
                continue;
            };
            let dec = e.inputs.unit_lsoa[i]
                .as_deref()
                .and_then(|c| e.inputs.imd.rows.get(c))
                .and_then(|r| r.imd_decile);
            let slot = match dec {
                Some(1..=3) => 0,
                Some(4..=7) => 1,
                Some(_) => 2,
                None => 3,
            };
            out.entry(d).or_default()[slot] += units.residents(i);
        }
        out
    }

    /// The report's equity section (empty without `[equity]`).
    pub fn equity_section(&self, chart_png: Option<&str>) -> String {
        let mut s = String::new();
        let Some(e) = &self.equity else {
            return s;
        };
        let k = self.study.analysis.main_index();
        let r = metres(self.main_radius_m());
        let j = &e.join;
        let _ = writeln!(s, "## Equity of access: deprivation and age\n");
        let _ = writeln!(
            s,
            "Each postcode unit takes the IMD 2025 national decile of the LSOA 2021 that holds it (1 = the most deprived tenth of England). \
             {} LSOAs in the deprivation file{}; {} of {} postcode units have a decile, {} lie outside every LSOA loaded and {} in an LSOA without a usable decile ({} residents); {} deprivation rows were unusable. \
             {}\n",
            j.lsoas_in_file,
            j.lsoas_with_polygon
                .map_or_else(String::new, |m| format!(", {m} with a boundary")),
            j.units_with_decile,
            j.units_total,
            j.units_outside_lsoas,
            j.units_without_decile,
            num(j.residents_without_decile, 0),
            j.bad_rows.len(),
            if e.by_walking {
                "Distances and coverage here are by walking along the network to the nearest counted AED (snap + network + snap; medians are not cut at the largest radius)."
            } else {
                "Distances are straight lines to the nearest counted AED."
            }
        );
        if let Some(png) = chart_png {
            let _ = writeln!(s, "![Residents within {r} m by decile]({png})\n");
        }
        let _ = writeln!(
            s,
            "| Group | Residents | Arrests | Residents within {r} m | Arrests within {r} m | Median distance | 90th percentile |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        let m = |d: Option<f64>| d.map_or_else(|| "no AED".into(), |d| format!("{d:.0} m"));
        for g in e
            .groups
            .iter()
            .chain([&e.gap.most, &e.gap.least, &e.overall])
        {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                g.key.replace('_', " "),
                num(g.residents, 0),
                g.arrests.map_or_else(|| "unknown".into(), |a| num(a, 1)),
                pct_text(g.pct_residents(k)),
                pct_text(g.pct_arrests(k)),
                m(g.median_distance_m),
                m(g.p90_distance_m)
            );
        }
        let _ = writeln!(
            s,
            "\nMost deprived (deciles 1–2) minus least deprived (9–10): median distance {}, residents within {r} m {} percentage points. \
             The ages of arrests are not in the data, so arrests by age are unknown. `equity.csv` has every radius.\n",
            e.gap
                .median_distance_gap_m()
                .map_or_else(|| "–".into(), |d| format!("{d:+.0} m")),
            e.gap
                .coverage_gap_pct_points(k)
                .map_or_else(|| "–".into(), |g| format!("{g:+.1}"))
        );
        s
    }

    /// The report's best-case section: per district, the report's counts, the best case and
    /// the AEDs needed for 90 %, with the deprivation profile.
    pub fn best_case_section(&self) -> String {
        let mut s = String::new();
        let Some(b) = &self.best_case else {
            return s;
        };
        let r = metres(self.main_radius_m());
        let arrests: BTreeMap<String, u32> = crate::seeds::arrests_by_district()
            .map(|v| v.into_iter().map(|a| (a.district, a.incidents)).collect())
            .unwrap_or_default();
        let profile = self
            .equity
            .as_ref()
            .map(|e| Self::deprivation_profile(e, self))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "## Best case from counts: could the counted AEDs cover each district?\n"
        );
        let _ = writeln!(
            s,
            "The report counts AEDs per district but locates few. Here each district's counted AEDs are placed as well as possible over its postcode units \
             (the located AEDs stay where they are): the best share of residents within {r} m they could reach. \
             It is a **ceiling on the real coverage**, which can only be lower; figures marked *proven* are the optimum, \
             the others a proven upper bound (\"at most\"). AEDs needed for 90% is the fewest AEDs that could put 90% of the district's residents within {r} m: \
             a range from a proven floor to a placement that achieves it (one number when they meet). Deprivation profile: % of the district's residents in \
             IMD deciles 1–3 / 4–7 / 8–10.\n"
        );
        let _ = writeln!(
            s,
            "| District | AEDs counted | Arrests | Arrests per AED | AEDs located | Best case: residents within {r} m | AEDs needed for 90% | Deprivation profile |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---|");
        for e in b {
            let a = arrests.get(&e.id).copied();
            let per = a
                .filter(|_| e.aeds_counted > 0)
                .map(|a| f64::from(a) / f64::from(e.aeds_counted));
            let best = e.residents.as_ref().map_or_else(
                || "no residents".into(),
                |x| match x.kind {
                    super::best_case::Kind::Proven => format!("{:.1}% (proven)", x.quoted_pct()),
                    super::best_case::Kind::UpperBound => format!("at most {:.1}%", x.quoted_pct()),
                },
            );
            let need = e.needed.iter().find(|n| n.target_pct == 90.0).map_or_else(
                || "–".into(),
                |n| match n.at_most {
                    Some(hi) if hi == n.at_least => hi.to_string(),
                    Some(hi) => format!("{}–{hi}", n.at_least),
                    None => format!("more than {}", n.at_least.saturating_sub(1)),
                },
            );
            let prof = profile.get(&e.id).map_or_else(
                || "–".into(),
                |p| {
                    let t: f64 = p.iter().sum();
                    if t > 0.0 {
                        format!(
                            "{:.0} / {:.0} / {:.0}",
                            100.0 * p[0] / t,
                            100.0 * p[1] / t,
                            100.0 * p[2] / t
                        )
                    } else {
                        "–".into()
                    }
                },
            );
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {best} | {need} | {prof} |",
                e.id,
                e.aeds_counted,
                a.map_or_else(|| "–".into(), |a| a.to_string()),
                per.map_or_else(|| "–".into(), |p| format!("{p:.2}")),
                e.aeds_located
            );
        }
        let _ = writeln!(
            s,
            "\nResidents are Census 2021 usual residents inside Leicester, Leicestershire and Rutland, so border districts are partly counted. \
             AEDs are placed on postcode-unit positions; arrests follow residents within each district. `best_case.csv` and `summary.json` \
             (`best_case`) also give the best case for arrests, the floor (the best placement found) and 80% and 95%.\n"
        );
        if self.best_case_map().is_some() {
            let _ = writeln!(
                s,
                "![Districts shaded by the best case: hatched where it is a range, not proven](map_best_case.png)\n"
            );
        }
        s
    }
}
