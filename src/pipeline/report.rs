//! `report.md`: the figures in plain words for a council committee.

use std::fmt::Write as _;

use super::StudyRun;
use super::districts::DistrictFigures;
use crate::export::csv_out::metres;

fn c<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

fn f(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$}"))
}

/// Thousands separators for counts ("2,252").
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn district_table(s: &mut String, rows: &[&DistrictFigures], radius_m: f64) {
    let _ = writeln!(
        s,
        "| District | Arrests | AEDs counted | AEDs located | Arrests per AED | Land km² | Residents | Max share of land within {} m (upper bound) |",
        metres(radius_m)
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let g = r.geo.as_ref();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.district,
            c(r.arrests),
            c(r.aeds_counted),
            r.aeds_located,
            f(r.arrests_per_aed, 2),
            f(g.map(|g| g.area_km2), 1),
            g.map_or_else(|| "–".to_owned(), |g| thousands(g.residents)),
            r.max_land_share(radius_m)
                .map_or_else(|| "–".to_owned(), |b| format!("{:.0}%", b * 100.0)),
        );
    }
}

/// The report's district table, ranked by arrests per counted AED.
fn districts_section(s: &mut String, run: &StudyRun, figures: &[DistrictFigures]) {
    let r = run.main_radius_m();
    let _ = writeln!(s, "## Districts: the 2021 report's counts\n");
    let _ = writeln!(
        s,
        "Arrests per counted AED is the report's measure; it warns that it is crude (one AED in central Leicester serves far more \
         people than one in a village). The last column is an **upper bound**, not a coverage figure: \
         the share of the district's land its counted AEDs could cover at {} m if they were perfectly \
         spaced, min(1, n × π × r² / land km²). `districts.csv` has every column.\n",
        metres(r)
    );
    let worst: Vec<&DistrictFigures> = figures
        .iter()
        .filter(|f| f.arrests_per_aed.is_some())
        .take(run.study.output.worst_areas)
        .collect();
    let _ = writeln!(s, "### Most arrests per counted AED\n");
    district_table(s, &worst, r);
    let _ = writeln!(s, "\n### All districts\n");
    district_table(s, &figures.iter().collect::<Vec<_>>(), r);
    let _ = writeln!(
        s,
        "\nResidents are Census 2021 usual residents on the district's postcodes inside Leicester, \
         Leicestershire or Rutland, so border districts (CV9, DE11, DE73, NG13, NG32, NG33, PE9) are \
         partly counted. Land is the area of the Wikipedia postcode-district polygon.\n"
    );
}

fn n1(v: f64) -> String {
    format!("{v:.1}")
}

/// Walking beside the straight line, the network, and who could not be reached.
pub fn walking_section(s: &mut String, run: &StudyRun) {
    let (Some(w), Some(net)) = (&run.assessment.walk, &run.network) else {
        return;
    };
    let _ = writeln!(
        s,
        "## Walking distance and straight line
"
    );
    let _ = writeln!(
        s,
        "| radius | covered by walking | covered in a straight line |"
    );
    let _ = writeln!(s, "|---|---|---|");
    for (walk, st) in run.assessment.totals.iter().zip(&w.straight_totals) {
        let _ = writeln!(
            s,
            "| {} m | {:.1} % ({} points) | {:.1} % ({} points) |",
            walk.radius_m, walk.pct_covered, walk.points_covered, st.pct_covered, st.points_covered
        );
    }
    let st = &net.graph.stats;
    let _ = writeln!(
        s,
        "\nWalking distance is the straight line from the point to the nearest walkable way, along the network, and from the network to the AED. {}The network ({}) has {} walkable ways, {} nodes, {} edges and {} connected pieces.",
        match w.median_ratio {
            Some(r) => format!("The median walking distance is {r:.2} times the straight line. "),
            None => String::new(),
        },
        net.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        st.walkable_ways,
        st.nodes,
        st.edges,
        st.components
    );
    let unreached = w.distances.unreached_counts();
    if !unreached.is_empty() || w.distances.aeds_off_network > 0 {
        let _ = writeln!(
            s,
            "\nNot reached within {} m by walking:\n",
            w.distances.max_m
        );
        for (why, n) in &unreached {
            let _ = writeln!(s, "- {n} points: {}", why.describe());
        }
        if w.distances.aeds_off_network > 0 {
            let _ = writeln!(
                s,
                "- {} AEDs are farther than {} m from every walkable way and reach no one by walking",
                w.distances.aeds_off_network, w.distances.max_m
            );
        }
    }
    let _ = writeln!(s);
}

/// A study's report, for a council committee.
pub fn study_report(
    run: &StudyRun,
    maps: &[String],
    districts: Option<&[DistrictFigures]>,
) -> String {
    let mut s = String::new();
    let a = &run.assessment;
    let main_k = run.study.analysis.main_index();
    let main = &a.totals[main_k];
    let _ = writeln!(s, "# {}\n", run.study.title);
    let _ = writeln!(
        s,
        "Produced by aedcover. Distances are {} in {}; an AED counts when it is in the registry with a usable position and passes the scenario ({}). Demand: **{}**.\n",
        if run.assessment.walk.is_some() {
            "walking distances along the OpenStreetMap path network (straight lines beside them)"
        } else if run.study.analysis.distance.detour_factor() == 1.0 {
            "straight lines"
        } else {
            "straight lines divided by a detour factor"
        },
        run.crs_label(),
        a.rule.scenario.label(),
        run.study.demand.label()
    );
    headline(&mut s, run, main);
    walking_section(&mut s, run);
    if let Some(d) = districts {
        districts_section(&mut s, run, d);
    }
    worst_areas(&mut s, run, main_k, main.radius_m);
    largest_gaps(&mut s, run, main.radius_m);
    suggested_sites(&mut s, run);
    let _ = writeln!(s, "## What data is missing\n");
    if run.notes.is_empty() {
        let _ = writeln!(s, "Nothing was reported missing.");
    }
    for n in &run.notes {
        let _ = writeln!(s, "- {n}");
    }
    let c = &a.selection.counts;
    if c.unlocated + c.not_converted > 0 {
        let _ = writeln!(
            s,
            "- {} AEDs have no usable position and count as absent: coverage is understated and sites may duplicate AEDs that exist.",
            c.unlocated + c.not_converted
        );
    }
    let _ = writeln!(s, "\n## Maps\n");
    for m in maps {
        let _ = writeln!(s, "- [{m}]({m})");
    }
    let _ = writeln!(s, "\n## Sources and attribution\n");
    for src in run.sources.iter() {
        let _ = writeln!(s, "- {} ({})", src.attribution, src.licence);
    }
    if !run.sources.all_publishable() {
        let _ = writeln!(
            s,
            "\n**Not for publication**: a source's terms forbid public-facing maps or services."
        );
    }
    s
}

fn headline(s: &mut String, run: &StudyRun, main: &crate::coverage::RadiusTotals) {
    let a = &run.assessment;
    let r = &run.demand.report;
    let c = &a.selection.counts;
    let _ = writeln!(s, "## Headline figures\n");
    let _ = writeln!(
        s,
        "- **{} AEDs** in the registry; **{} counted** with a position; {} without a usable position; {} retired; {} left out by the scenario.",
        c.registry_total,
        c.counted,
        c.unlocated + c.not_converted,
        c.retired,
        c.excluded_by_scenario
    );
    let _ = writeln!(
        s,
        "- Demand given: **{}**; placed on the map: {}; with an unknown postcode: {}; not matched to any postcode: {}.",
        n1(r.input_total),
        n1(main.demand_total),
        n1(r.unknown_total),
        n1(r.unmatched_total)
    );
    if main.demand_total > 0.0 {
        for t in &a.totals {
            let _ = writeln!(
                s,
                "- Within **{} m** of a counted AED: **{}%** of the demand ({} of {}), {}% of residents.",
                t.radius_m,
                n1(t.pct_covered),
                n1(t.demand_covered),
                n1(t.demand_total),
                n1(t.pct_residents_covered)
            );
        }
        let _ = writeln!(
            s,
            "- Uncovered at {} m: **{}**.",
            main.radius_m,
            n1(main.demand_total - main.demand_covered)
        );
    } else {
        let _ = writeln!(
            s,
            "- Coverage of demand: **not computed**, no demand could be placed on the map (see What data is missing)."
        );
    }
    for (r, shape) in &run.areas.coverage {
        let _ = writeln!(
            s,
            "- Land within {} m of a counted AED: **{:.1} km²**.",
            metres(*r),
            geo::Area::unsigned_area(shape) / 1e6
        );
    }
    let _ = writeln!(
        s,
        "- Devices needing attention: {} ({} with no known guardian); see `attention.csv`, ranked by the arrests each device alone covers.\n",
        a.readiness.summary().with_problems,
        a.readiness
            .summary()
            .count(crate::registry::ProblemKind::NoGuardian)
    );
}

fn worst_areas(s: &mut String, run: &StudyRun, main_k: usize, radius_m: f64) {
    let _ = writeln!(s, "## Worst areas\n");
    let worst = run.areas.worst(main_k, run.study.output.worst_areas);
    if worst.is_empty() {
        let _ = writeln!(
            s,
            "No area polygons in this study; see the largest gaps below.\n"
        );
        return;
    }
    let _ = writeln!(s, "By demand beyond {radius_m} m of every counted AED.\n");
    let _ = writeln!(
        s,
        "| Area | Layer | Demand | Uncovered | % covered | Residents | AEDs located | Median distance m |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|");
    for row in worst {
        let a = &row.stats;
        let r = &a.radii[main_k];
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            a.name,
            row.layer,
            n1(a.demand),
            n1(r.demand_uncovered),
            n1(r.pct_demand_covered),
            thousands(a.residents.round() as u64),
            a.aeds_located,
            a.median_distance_m
                .map_or_else(|| "–".into(), |d| format!("{d:.0}"))
        );
    }
    let _ = writeln!(s);
}

fn largest_gaps(s: &mut String, run: &StudyRun, radius_m: f64) {
    let _ = writeln!(s, "## Largest gaps\n");
    let Some(gaps) = &run.areas.gaps else {
        let _ = writeln!(s, "Not computed: the study has no study area.\n");
        return;
    };
    if gaps.is_empty() {
        let _ = writeln!(s, "No gaps: all of the study area is within reach.\n");
        return;
    }
    let _ = writeln!(
        s,
        "Land in the study area beyond {radius_m} m of every counted AED, ranked by the demand inside ({} gaps in all; `gaps.geojson`).\n",
        gaps.len()
    );
    let _ = writeln!(s, "| Rank | Demand inside | Residents | Area km² |");
    let _ = writeln!(s, "|---:|---:|---:|---:|");
    for g in gaps.iter().take(10) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} |",
            g.rank,
            n1(g.demand),
            thousands(g.residents.round() as u64),
            g.area_km2
        );
    }
    let _ = writeln!(s);
}

fn suggested_sites(s: &mut String, run: &StudyRun) {
    let _ = writeln!(s, "## Suggested sites\n");
    let Some(st) = &run.siting else {
        let _ = writeln!(s, "No siting in this study.\n");
        return;
    };
    let cost = &st.cost;
    let sm = &st.summary;
    let _ = writeln!(
        s,
        "{} maximal covering at {} m with existing AEDs kept ({}; candidates: {}, {} given). Each site costs £{:.0} to buy (AED and heated cabinet bundle incl. VAT, from the report's Appendix A) and £{:.0}–£{:.0} over {} years with pads, batteries and electricity.\n",
        if sm.solver == "exact" {
            "Exact"
        } else {
            "Greedy, then local search (swaps),"
        },
        sm.radius_m,
        if sm.solver == "exact" {
            "solved by integer programming".to_string()
        } else {
            "never worse than greedy, so at least 1 − 1/e ≈ 63% of the best possible".to_string()
        },
        st.candidates_label,
        sm.candidates_given,
        cost.capital_gbp,
        cost.total_low_gbp,
        cost.total_high_gbp,
        cost.years
    );
    let _ = writeln!(
        s,
        "Objective: **{}** (what a covered point is worth; study key `siting.objective`, or `--objective`).\n",
        sm.objective
    );
    // What a covered point is worth: "demand" (the study's arrests or counts) by default,
    // else the objective's own weight (residents, residents aged 65+, deprived residents).
    let worth = if sm.objective == "arrests" {
        "demand".to_string()
    } else {
        sm.objective.replace('_', " ")
    };
    let _ = writeln!(
        s,
        "| Rank | Postcode / candidate | Extra {worth} covered | Cumulative | Residents | Nearest existing AED m | Cost over {} years £ |",
        cost.years
    );
    let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|");
    for site in &st.sites {
        let c = &st.instance.candidates[site.candidate];
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {:.0} |",
            site.rank,
            c.id,
            n1(site.marginal_weight),
            n1(site.cumulative_weight),
            thousands(site.marginal_residents.round() as u64),
            st.instance.nearest_existing_m[site.candidate]
                .map_or_else(|| "–".into(), |d| format!("{d:.0}")),
            cost.total_high_gbp
        );
    }
    if let Some(last) = st.sites.last() {
        let total = cost.total_high_gbp * st.sites.len() as f64;
        let per = if last.cumulative_weight > 0.0 {
            let each = total / last.cumulative_weight;
            // Pence matter when a covered unit is a resident rather than an arrest.
            let each = if each < 10.0 {
                format!("{each:.2}")
            } else {
                format!("{each:.0}")
            };
            format!(", £{each} per extra unit of {worth} covered")
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "\n{} sites would cover {} more {worth} (of {} uncovered) for about £{:.0} over {} years{per}.",
            st.sites.len(),
            n1(last.cumulative_weight),
            n1(sm.uncovered_weight),
            total,
            cost.years
        );
    }
    let _ = writeln!(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(2252), "2,252");
        assert_eq!(thousands(865), "865");
        assert_eq!(thousands(1_745_013), "1,745,013");
    }
}
