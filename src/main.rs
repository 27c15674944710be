use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Public-access defibrillator registry, coverage and siting.
#[derive(Parser)]
#[command(name = "aedcover", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print version and data locations.
    Info,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Command::Info => {
            println!("aedcover {}", env!("CARGO_PKG_VERSION"));
            println!("open data: {}", aedcover::opendata::dir().display());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
