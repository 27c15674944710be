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
        if i > 0 && (s.len() - i) % 3 == 0 {
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
