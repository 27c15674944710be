use clap::Parser;
use std::process::ExitCode;

// Large blocks on transparent huge pages where Linux leaves it to the program (see the module).
#[global_allocator]
static ALLOC: aedcover::huge_pages::HugePageAlloc = aedcover::huge_pages::HugePageAlloc;

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
