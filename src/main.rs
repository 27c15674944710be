use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = aedcover::cli::Cli::parse();
    match aedcover::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(aedcover::cli::exit_code(&e))
        }
    }
}
