//! Flags shared by `coverage` and `sites`, and how they become parts of a [`Study`](crate::study::Study).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::study::{CrsChoice, Demand, Postcodes, Registry, RegistryInput, flag_error};

/// Where the demand comes from.
#[derive(Args, Debug, Clone)]
pub struct DemandFlags {
    /// Demand: counts by postcode (postcode,count) or points (lat,lon anywhere, or
    /// easting,northing in --crs).
    #[arg(long)]
    pub demand: Option<PathBuf>,
    /// auto|unit|sector|district|area|counts|point|residents|postcode_units.
    #[arg(long, default_value = "auto")]
    pub demand_level: String,
    /// Code-Point Open CSV (demand by postcode; postcode-only candidate sites).
    #[arg(long)]
    pub postcodes: Option<PathBuf>,
    /// Keep only the postcode units of these admin districts (ONS codes, repeatable).
    #[arg(long)]
    pub admin_district: Vec<String>,
    /// LSOA population CSV (Census 2021), with --lsoa: residents per postcode unit.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// LSOA boundaries GeoJSON (repeatable).
    #[arg(long)]
    pub lsoa: Vec<PathBuf>,
    /// CRS of easting/northing point columns (default EPSG:27700); lat/lon needs none.
    #[arg(long)]
    pub crs: Option<String>,
    /// The metric CRS to compute in: auto (British National Grid in GB, else the UTM zone
    /// of the data), EPSG:nnnn or a +proj string.
    #[arg(long, default_value = "auto")]
    pub metric_crs: String,
    /// Stop at the first bad row of any input file (default: skip it, count it and name it).
    #[arg(long)]
    pub strict: bool,
}

/// The demand-related parts of a study.
pub struct DemandInputs {
    pub demand: Demand,
    pub postcodes: Option<Postcodes>,
    pub population: Option<crate::study::Population>,
    pub crs: CrsChoice,
}

impl DemandFlags {
    /// Builds the demand and the postcode and population inputs.
    pub fn inputs(&self) -> anyhow::Result<DemandInputs> {
        let crs = crate::study::parse_crs(&self.metric_crs)
            .map_err(|r| flag_error("--metric-crs", r, &self.metric_crs))?;
        let col_crs = match &self.crs {
            Some(c) => match crate::study::parse_crs(c).map_err(|r| flag_error("--crs", r, c))? {
                CrsChoice::Given(c) => Some(c),
                CrsChoice::Auto => None,
            },
            None => None,
        };
        let path = || -> anyhow::Result<&Path> {
            self.demand
                .as_deref()
                .ok_or_else(|| flag_error("--demand", "a demand file is required", "").into())
        };
        let level = self.demand_level.trim().to_ascii_lowercase();
        let demand = match level.as_str() {
            "residents" => Demand::Residents,
            "postcode_units" => Demand::PostcodeUnits,
            "point" | "points" => Demand::Points {
                path: path()?.to_path_buf(),
                crs: col_crs,
            },
            "auto" if crate::demand::looks_like_points(path()?)? => Demand::Points {
                path: path()?.to_path_buf(),
                crs: col_crs,
            },
            "auto" | "counts" => Demand::PostcodeCounts {
                path: path()?.to_path_buf(),
                level: crate::demand::DemandLevel::Auto,
            },
            other => Demand::PostcodeCounts {
                path: path()?.to_path_buf(),
                level: crate::study::parse_level(other)
                    .map_err(|r| flag_error("--demand-level", r, other))?,
            },
        };
        let postcodes = self.postcodes.as_ref().map(|p| Postcodes {
            codepoint: p.clone(),
            admin_districts: self.admin_district.clone(),
            postcode_areas: Vec::new(),
        });
        if demand.needs_postcodes() && postcodes.is_none() {
            anyhow::bail!(flag_error(
                "--postcodes",
                "demand by postcode needs Code-Point Open",
                ""
            ));
        }
        let population = match (&self.population, self.lsoa.is_empty()) {
            (Some(p), false) => Some(crate::study::Population {
                lsoa_csv: p.clone(),
                lsoa_geojson: self.lsoa.clone(),
            }),
            (None, true) => None,
            _ => anyhow::bail!(flag_error(
                "--population",
                "--population and --lsoa go together",
                ""
            )),
        };
        if matches!(demand, Demand::Residents) && population.is_none() {
            anyhow::bail!(flag_error(
                "--population",
                "residents as demand need --population and --lsoa",
                ""
            ));
        }
        Ok(DemandInputs {
            demand,
            postcodes,
            population,
            crs,
        })
    }
}

/// A known source key given as a flag.
pub fn source_flag(
    flag: &str,
    key: Option<&str>,
) -> anyhow::Result<Option<crate::sources::Source>> {
    match key {
        None => Ok(None),
        Some(k) => crate::study::known_source(k)
            .map(Some)
            .ok_or_else(|| flag_error(flag, "unknown source key", k).into()),
    }
}

/// A registry `aeds.csv` given as a flag.
pub fn registry_flag(path: &Path, source: Option<&str>) -> anyhow::Result<Registry> {
    Ok(Registry {
        input: RegistryInput::Aeds(path.to_path_buf()),
        known_total: None,
        source: source_flag("--aeds-source", source)?,
    })
}

/// The run's one-line account on stderr (read, used, skipped, unmatched), and a warning
/// when most of the demand matched nothing. Every command that runs the pipeline ends so.
pub fn print_account(run: &crate::pipeline::StudyRun) {
    if let Some(w) = run.demand_warning() {
        eprintln!("{w}");
    }
    eprintln!("{}", run.account());
}

/// What a run printed for its user: headline figures and the files written.
pub fn print_run(run: &crate::pipeline::StudyRun, written: &crate::pipeline::WriteSummary) {
    let c = &run.assessment.selection.counts;
    println!("{}", run.study.title);
    println!("  metric CRS: {} ({})", run.crs_label(), run.crs_reason);
    println!(
        "  {} of {} AEDs counted ({} without position)",
        c.counted,
        c.registry_total,
        c.unlocated + c.not_converted
    );
    let main = &run.assessment.totals[run.study.analysis.main_index()];
    if main.demand_total > 0.0 {
        let radii: Vec<String> = run
            .assessment
            .totals
            .iter()
            .map(|t| format!("{} m: {:.1}%", t.radius_m, t.pct_covered))
            .collect();
        println!(
            "  {} of {} covered",
            radii.join(", "),
            run.study.demand.label()
        );
    } else {
        println!("  coverage of demand not computed: no demand could be placed");
    }
    print_walk(run);
    if let Some(g) = &run.areas.gaps {
        println!("  {} gaps at {} m", g.len(), run.main_radius_m());
    }
    if let Some(s) = &run.siting {
        println!(
            "  {} suggested sites ({}) cover {:.1} more",
            s.sites.len(),
            s.summary.solver,
            s.summary.covered_arrests
        );
    }
    println!(
        "wrote {} files to {}:",
        written.files.len(),
        written.dir.display()
    );
    for f in &written.files {
        println!("  {}", f.display());
    }
}

/// How distance is measured (`coverage`, `sites`, `analyse`).
#[derive(Args, Debug, Clone, Default)]
pub struct DistanceFlags {
    /// `straight` (default) or `walk` (along the path network of --network).
    #[arg(long)]
    pub distance: Option<String>,
    /// OpenStreetMap extract (`.osm.pbf` or `.osm` XML) whose walkable ways carry walking
    /// distance.
    #[arg(long)]
    pub network: Option<PathBuf>,
}

impl DistanceFlags {
    /// The distance kind, or `None` when neither flag is given (the caller's default).
    pub fn distance(&self, detour_factor: f64) -> anyhow::Result<Option<crate::study::Distance>> {
        use crate::study::Distance;
        match (self.distance.as_deref(), &self.network) {
            (None, None) => Ok(None),
            (None | Some("walk"), Some(n)) => {
                if detour_factor != 1.0 {
                    return Err(flag_error(
                        "--detour-factor",
                        "not used with --distance walk (the network gives the route)",
                        detour_factor.to_string(),
                    )
                    .into());
                }
                Ok(Some(Distance::Walk { network: n.clone() }))
            }
            (Some("walk"), None) => {
                Err(flag_error("--distance", "walk needs --network FILE.osm.pbf", "walk").into())
            }
            (Some("straight"), None) => Ok(Some(Distance::Straight { detour_factor })),
            (Some("straight"), Some(n)) => Err(flag_error(
                "--network",
                "a network is only used with --distance walk",
                n.display().to_string(),
            )
            .into()),
            (Some(other), _) => {
                Err(flag_error("--distance", "expected straight or walk", other).into())
            }
        }
    }
}

/// Walking beside the straight line, the network's size and the points not reached.
pub fn print_walk(run: &crate::pipeline::StudyRun) {
    let (Some(w), Some(net)) = (&run.assessment.walk, &run.network) else {
        return;
    };
    let st = &net.graph.stats;
    println!(
        "  network {}: {} walkable ways, {} nodes, {} edges, {} components",
        net.path.display(),
        st.walkable_ways,
        st.nodes,
        st.edges,
        st.components
    );
    for (walk, straight) in run.assessment.totals.iter().zip(&w.straight_totals) {
        println!(
            "  {} m: {:.3}% by walking, {:.3}% in a straight line",
            walk.radius_m, walk.pct_covered, straight.pct_covered
        );
    }
    if let Some(r) = w.median_ratio {
        println!("  median walking / straight-line distance: {r:.3}");
    }
    for (why, n) in w.distances.unreached_counts() {
        println!(
            "  {n} points not reached within {} m: {}",
            w.distances.max_m,
            why.describe()
        );
    }
    if w.distances.aeds_off_network > 0 {
        println!(
            "  {} AEDs farther than {} m from every walkable way",
            w.distances.aeds_off_network, w.distances.max_m
        );
    }
}
