//! `aedcover analyse [--study FILE.toml] [--out DIR] [--quiet]`: the main job.

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct AnalyseArgs {
    /// A study file (TOML). Without it, the embedded Leicestershire default runs from
    /// seeds/ and data/ only.
    #[arg(long)]
    pub study: Option<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "maps")]
    pub out: PathBuf,
    /// No progress display.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: AnalyseArgs) -> anyhow::Result<()> {
    let summary =
        crate::analyse::run(args.study.as_deref(), &args.out, args.quiet).with_context(|| {
            match &args.study {
                Some(s) => format!("analyse {}", s.display()),
                None => "analyse (embedded default)".to_owned(),
            }
        })?;
    println!("{}", summary.title);
    for line in &summary.headline {
        println!("  {line}");
    }
    println!(
        "wrote {} files to {}:",
        summary.files.len(),
        summary.out_dir.display()
    );
    for f in &summary.files {
        println!("  {}", f.display());
    }
    println!("start with {}", summary.out_dir.join("report.md").display());
    Ok(())
}
