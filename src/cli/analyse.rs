//! `aedcover analyse [--study FILE.toml] [--out DIR] [--quiet]`: the main job.

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct AnalyseArgs {
    /// A study file (TOML). Without it, the built-in Leicestershire study runs from
    /// seeds/ and data/ only.
    #[arg(long)]
    pub study: Option<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "maps")]
    pub out: PathBuf,
    /// No progress display.
    #[arg(long)]
    pub quiet: bool,
    /// Overrides the study's distance (`--distance walk --network FILE.osm.pbf`).
    #[command(flatten)]
    pub distance: super::flags::DistanceFlags,
    /// Siting objective, overriding the study's: arrests, residents, residents_65_plus,
    /// deprived_residents (the last two need the study's `[equity]`).
    #[arg(long)]
    pub objective: Option<String>,
    /// Stop at the first bad row of any input file (default: skip it, count it and name it).
    #[arg(long)]
    pub strict: bool,
}

pub fn run(args: AnalyseArgs) -> anyhow::Result<()> {
    let mut study = match &args.study {
        Some(path) => crate::study::Study::load(path)?,
        None => crate::pipeline::builtin::study()?,
    };
    study.strict |= args.strict;
    if let Some(d) = args.distance.distance(1.0)? {
        study.analysis.distance = d;
    }
    let study = match &args.objective {
        Some(o) => crate::study::with_objective(study, o)?,
        None => study,
    };
    let what = match &args.study {
        Some(s) => format!("analyse {}", s.display()),
        None => "analyse (built-in Leicestershire study)".to_owned(),
    };
    let progress = crate::export::Progress::new(args.quiet);
    let (run, written) =
        crate::pipeline::run_and_write(study, &args.out, &progress).with_context(|| what)?;
    super::print_run(&run, &written);
    super::print_account(&run);
    println!("start with {}", written.dir.join("report.md").display());
    Ok(())
}
