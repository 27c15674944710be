//! The command line: argument types (clap derive) and one function per subcommand.
//! `src/main.rs` only parses and maps the result to an exit code.

use clap::{Parser, Subcommand};

pub use flags::{DemandFlags, print_account, print_run, print_walk, registry_flag, source_flag};

pub mod analyse;
pub mod coverage;
pub mod data;
pub mod districts;
pub mod flags;
pub mod import;
pub mod registry;
pub mod serve;
pub mod sites;

/// Public-access defibrillator registry, coverage and siting.
#[derive(Parser)]
#[command(name = "aedcover", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// The main job: coverage, gaps, sites, report and maps (no arguments: the embedded
    /// Leicestershire default).
    Analyse(analyse::AnalyseArgs),
    /// Print version and data locations.
    Info,
    /// Cardiac arrests per public AED by postcode district, from the 2021 report's tables.
    Districts(districts::DistrictsArgs),
    /// The AED registry files (aeds.csv, guardians.csv).
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// Import AEDs from OpenStreetMap, a council CSV or a Circuit extract into a registry
    /// aeds.csv.
    Import(import::ImportArgs),
    /// Coverage of demand (arrests, residents) by counted AEDs at several radii.
    Coverage(Box<coverage::CoverageArgs>),
    /// Where new cabinets would cover the most arrests (greedy or exact), with costs.
    Sites(Box<sites::SitesArgs>),
    /// Tables derived from the open data.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Serve OGC API – Features, /nearest, /map and authenticated registry edits.
    Serve(serve::ServeArgs),
}

/// The exit code of a failed command: 3–6 when nothing usable remained (see
/// [`crate::pipeline::Unusable`]), else 1.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    e.chain()
        .find_map(|c| {
            c.downcast_ref::<crate::pipeline::Unusable>().or_else(|| {
                match c.downcast_ref::<crate::pipeline::PipelineError>() {
                    Some(crate::pipeline::PipelineError::Unusable(u)) => Some(u),
                    _ => None,
                }
            })
        })
        .map_or(1, crate::pipeline::Unusable::exit_code)
}

/// Run one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Info => {
            println!("aedcover {}", env!("CARGO_PKG_VERSION"));
            println!("open data: {}", crate::opendata::dir().display());
            Ok(())
        }
        Command::Analyse(args) => analyse::run(args),
        Command::Districts(args) => districts::run(args),
        Command::Registry(command) => registry::run(command),
        Command::Import(args) => import::run(args),
        Command::Coverage(args) => coverage::run(*args),
        Command::Sites(args) => sites::run(&args),
        Command::Data(command) => data::run(command),
        Command::Serve(args) => serve::run(args),
    }
}
