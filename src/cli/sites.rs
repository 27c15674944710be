//! `aedcover sites`: where new cabinets would cover the most arrests (greedy or exact), with costs.

use anyhow::Context;

pub fn run(a: &crate::siting::SitesArgs) -> anyhow::Result<()> {
    let s = crate::siting::run_sites(a).context("sites")?;
    eprintln!(
        "{} sites ({}) cover {} more arrests; {}; wrote {}",
        s.sites_chosen,
        s.solver,
        s.covered_arrests,
        s.cost_per_extra_arrest_text.as_deref().unwrap_or(""),
        a.out.display()
    );
    Ok(())
}
