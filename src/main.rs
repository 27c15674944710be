use clap::{Parser, Subcommand};

/// Public-access defibrillator registry, coverage and siting.
#[derive(Parser)]
#[command(name = "aedcover", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {}
}
