//! `report.md`: the figures in plain words for a council committee.

use std::fmt::Write as _;

use super::output::Attribution;
use crate::districts::DistrictTable;

/// One district's line in the default report.
#[derive(Debug, Clone)]
pub struct DistrictLine {
    pub district: String,
    pub aeds_counted: Option<u32>,
    pub aeds_located: usize,
    pub arrests: Option<u32>,
    pub arrests_per_aed: Option<f64>,
    pub land_km2: Option<f64>,
    pub residents: Option<u64>,
    pub max_land_share_500m: Option<f64>,
}

/// What the default report says.
pub struct DefaultFacts<'a> {
    pub table: &'a DistrictTable,
    pub located: usize,
    pub emas_listed: usize,
    pub unlocated_total: usize,
    /// (radius_m, land within that radius of a located AED, km²).
    pub coverage: Vec<(f64, f64)>,
    pub worst: Vec<DistrictLine>,
    pub all: Vec<DistrictLine>,
    pub not_computed: &'a [&'a str],
    pub sources: &'a [Attribution],
    pub map_files: Vec<String>,
}

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

/// The embedded default's report.
pub fn default_report(x: &DefaultFacts) -> String {
    let t = x.table;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Public-access defibrillators in Leicestershire: what the 2021 figures show\n"
    );
    let _ = writeln!(
        s,
        "Produced by `aedcover analyse` from the tables of the Leicestershire County Council report of \
         10 November 2021 and small tables derived from open data (`data/`). No arrest or AED location \
         was invented: what cannot be computed is said below.\n"
    );
    let _ = writeln!(s, "## Headline figures\n");
    let _ = writeln!(
        s,
        "- **{} public-access AEDs** are counted in the report by postcode district; **{} of them have a \
         known location** (the EMAS-managed devices placed on their postcode; {} are listed, one has no \
         usable postcode). **{} AEDs have no location** in any data we hold.",
        thousands(u64::from(t.total_aeds)),
        x.located,
        x.emas_listed,
        thousands(x.unlocated_total as u64)
    );
    let _ = writeln!(
        s,
        "- **{} cardiac arrests** (ambulance Card 09 incidents) are counted by district, {} of them in an \
         unknown district.",
        thousands(u64::from(t.total_arrests)),
        t.unknown_arrests
    );
    for (r, km2) in &x.coverage {
        let _ = writeln!(s, "- Land within {r} m of a located AED: **{km2:.1} km²**.");
    }
    let _ = writeln!(
        s,
        "- The report's own rule: an AED \"will only be deployed if the incident is within 500m of the \
         cabinet\".\n"
    );

    let _ = writeln!(s, "## What cannot be computed yet, and why\n");
    let _ = writeln!(
        s,
        "{} of the {} AEDs are known only as a count per postcode district. Without their \
         positions it is not possible to say how many arrests happened within 500 m of an AED, where \
         the gaps are, which devices matter most, or where new cabinets would help most. Not computed:\n",
        thousands(x.unlocated_total as u64),
        thousands(u64::from(t.total_aeds))
    );
    for n in x.not_computed {
        let _ = writeln!(s, "- {n}");
    }
    let _ = writeln!(
        s,
        "\n**Data needed**: the location (or full postcode) and access hours of every registered AED \
         (The Circuit holds them), and arrests by full postcode or point. With those, \
         `aedcover analyse --study FILE.toml` produces all of the above.\n"
    );

    let _ = writeln!(s, "## Worst areas: arrests per counted AED\n");
    let _ = writeln!(
        s,
        "The report's measure; it warns that it is crude (one AED in central Leicester serves far more \
         people than one in a village). The last column is an **upper bound**, not a coverage figure: \
         the share of the district's land its counted AEDs could cover at 500 m if they were perfectly \
         spaced, min(1, n × π × 0.5² / land km²).\n"
    );
    district_table(&mut s, &x.worst);
    let _ = writeln!(s, "\n## All districts\n");
    district_table(&mut s, &x.all);
    let _ = writeln!(
        s,
        "\nResidents are Census 2021 usual residents on the district's postcodes inside Leicester, \
         Leicestershire or Rutland, so border districts (CV9, DE11, DE73, NG13, NG32, NG33, PE9) are \
         partly counted. Land is the area of the Wikipedia postcode-district polygon.\n"
    );
    let _ = writeln!(s, "## Largest gaps and suggested sites\n");
    let _ = writeln!(
        s,
        "Not computed in this run (see above). The study `studies/leicestershire-open.toml` spreads the \
         district arrest counts over postcodes by population and suggests ten sites with costs; its \
         results are still limited by the missing AED locations.\n"
    );
    let _ = writeln!(s, "## Maps\n");
    for m in &x.map_files {
        let _ = writeln!(s, "- [{m}]({m})");
    }
    let _ = writeln!(s, "\n## Sources and attribution\n");
    for a in x.sources {
        let _ = writeln!(s, "- {}", a.text());
    }
    s
}

fn district_table(s: &mut String, rows: &[DistrictLine]) {
    let _ = writeln!(
        s,
        "| District | Arrests | AEDs counted | AEDs located | Arrests per AED | Land km² | Residents | Max share of land within 500 m (upper bound) |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.district,
            c(r.arrests),
            c(r.aeds_counted),
            r.aeds_located,
            f(r.arrests_per_aed, 2),
            f(r.land_km2, 1),
            r.residents.map_or_else(|| "–".to_owned(), thousands),
            r.max_land_share_500m
                .map_or_else(|| "–".to_owned(), |b| format!("{:.0}%", b * 100.0)),
        );
    }
}

/// What a study report says.
pub struct StudyFacts<'a> {
    pub title: &'a str,
    pub demand_label: &'a str,
    pub totals: &'a [crate::coverage::RadiusTotals],
    pub main_k: usize,
    pub input_total: f64,
    pub unknown_total: f64,
    pub unmatched_total: f64,
    pub counts: &'a crate::coverage::SelectionCounts,
    pub worst: Vec<(String, crate::coverage::AreaStats)>,
    pub gaps: &'a [crate::coverage::Gap],
    pub siting: Option<&'a super::SitingOut>,
    pub triage_devices: usize,
    pub without_guardian: usize,
    pub notes: &'a [String],
    pub sources: &'a [Attribution],
    pub maps: &'a [String],
}

fn n1(v: f64) -> String {
    format!("{v:.1}")
}

/// A study's report.
pub fn study_report(x: &StudyFacts) -> String {
    let mut s = String::new();
    let main = &x.totals[x.main_k];
    let _ = writeln!(s, "# {}\n", x.title);
    let _ = writeln!(
        s,
        "Produced by `aedcover analyse --study`. Distances are straight lines; an AED counts when it is in the registry with a usable position. Demand: **{}**.\n",
        x.demand_label
    );
    let _ = writeln!(s, "## Headline figures\n");
    let c = x.counts;
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
        n1(x.input_total),
        n1(main.demand_total),
        n1(x.unknown_total),
        n1(x.unmatched_total)
    );
    for t in x.totals {
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
    let _ = writeln!(
        s,
        "- Devices needing attention: {} ({} with no known guardian); see `attention.csv`, ranked by the arrests each device alone covers.\n",
        x.triage_devices, x.without_guardian
    );

    let _ = writeln!(s, "## Worst areas\n");
    if x.worst.is_empty() {
        let _ = writeln!(
            s,
            "No area polygons in this study; see the largest gaps below.\n"
        );
    } else {
        let _ = writeln!(
            s,
            "By demand beyond {} m of every counted AED.\n",
            main.radius_m
        );
        let _ = writeln!(
            s,
            "| Area | Layer | Demand | Uncovered | % covered | Residents | AEDs located | Median distance m |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|");
        for (layer, a) in &x.worst {
            let r = &a.radii[x.main_k];
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                a.name,
                layer,
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
    let _ = writeln!(s, "## Largest gaps\n");
    if x.gaps.is_empty() {
        let _ = writeln!(s, "No gaps: all of the study area is within reach.\n");
    } else {
        let _ = writeln!(
            s,
            "Land in the study area beyond {} m of every counted AED, ranked by the demand inside ({} gaps in all; `gaps.geojson`).\n",
            main.radius_m,
            x.gaps.len()
        );
        let _ = writeln!(s, "| Rank | Demand inside | Residents | Area km² |");
        let _ = writeln!(s, "|---:|---:|---:|---:|");
        for g in x.gaps.iter().take(10) {
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
    let _ = writeln!(s, "## Suggested sites\n");
    match x.siting {
        None => {
            let _ = writeln!(s, "No siting in this study.\n");
        }
        Some(st) => {
            let cost = &st.cost;
            let _ = writeln!(
                s,
                "Greedy maximal covering at {} m with existing AEDs kept (guaranteed at least 1 − 1/e ≈ 63% of the best possible; candidates: {}, {} given). Each site costs £{:.0} to buy (AED and heated cabinet bundle incl. VAT, from the report's Appendix A) and £{:.0}–£{:.0} over {} years with pads, batteries and electricity.\n",
                st.radius_m,
                st.candidates,
                st.candidates_given,
                cost.capital_gbp,
                cost.total_low_gbp,
                cost.total_high_gbp,
                cost.years
            );
            let _ = writeln!(
                s,
                "| Rank | Postcode / candidate | Extra demand covered | Cumulative | Residents | Nearest existing AED m | Cost over {} years £ |",
                cost.years
            );
            let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|");
            for site in &st.sites {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {:.0} |",
                    site.rank,
                    site.id,
                    n1(site.marginal_arrests),
                    n1(site.cumulative_arrests),
                    thousands(site.marginal_residents.round() as u64),
                    site.nearest_existing_m
                        .map_or_else(|| "–".into(), |d| format!("{d:.0}")),
                    cost.total_high_gbp
                );
            }
            if let Some(last) = st.sites.last() {
                let total = cost.total_high_gbp * st.sites.len() as f64;
                let _ = writeln!(
                    s,
                    "\n{} sites would cover {} more (of {} uncovered) for about £{:.0} over {} years{}.",
                    st.sites.len(),
                    n1(last.cumulative_arrests),
                    n1(st.uncovered_weight),
                    total,
                    cost.years,
                    if last.cumulative_arrests > 0.0 {
                        format!(
                            ", £{:.0} per extra unit of demand covered",
                            total / last.cumulative_arrests
                        )
                    } else {
                        String::new()
                    }
                );
            }
            let _ = writeln!(s);
        }
    }
    let _ = writeln!(s, "## What data is missing\n");
    if x.notes.is_empty() {
        let _ = writeln!(s, "Nothing was reported missing.");
    }
    for n in x.notes {
        let _ = writeln!(s, "- {n}");
    }
    if c.unlocated + c.not_converted > 0 {
        let _ = writeln!(
            s,
            "- {} AEDs have no usable position and count as absent: coverage is understated and sites may duplicate AEDs that exist.",
            c.unlocated + c.not_converted
        );
    }
    let _ = writeln!(s, "\n## Maps\n");
    for m in x.maps {
        let _ = writeln!(s, "- [{m}]({m})");
    }
    let _ = writeln!(s, "\n## Sources and attribution\n");
    for a in x.sources {
        let _ = writeln!(s, "- {}", a.text());
    }
    let _ = writeln!(
        s,
        "- Costs: Leicestershire County Council report of 10 November 2021, Appendix A."
    );
    s
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
