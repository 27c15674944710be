//! Costs of new cabinets, budgets in pounds, and the cost per extra arrest covered.
//!
//! Prices come from the seed cost table (Leicestershire 2021 report, Appendix A): an AED +
//! heated cabinet bundle listed "+ VAT", consumables (pads, batteries) over the years with VAT
//! included, and electricity for the cabinet heater of £12–£15 a year. Installation
//! (fixing, wiring to a supply) is not priced in the report, so it is an allowance the
//! caller sets.

use super::SitingError;

/// What one new site costs over its life.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostModel {
    /// AED + cabinet bundle price as listed, in pounds.
    pub bundle_price_gbp: f64,
    /// The listed price is "+ VAT": VAT at `vat_rate` is added.
    pub bundle_price_plus_vat: bool,
    /// 0.20 in the UK.
    pub vat_rate: f64,
    /// Installation allowance per site (not in the report; set by the caller).
    pub installation_gbp: f64,
    /// Consumables over `years`, VAT included.
    pub running_costs_gbp: f64,
    /// Years of running costs counted.
    pub years: u32,
    /// Cabinet electricity per year, low and high (the report: £12–£15).
    pub electricity_gbp_per_year: (f64, f64),
}

impl CostModel {
    /// A model with UK VAT (20 %) on a "+ VAT" bundle price and the report's £12–£15 a year
    /// electricity.
    pub fn new(
        bundle_price_plus_vat_gbp: f64,
        installation_gbp: f64,
        running_costs_gbp: f64,
        years: u32,
    ) -> CostModel {
        CostModel {
            bundle_price_gbp: bundle_price_plus_vat_gbp,
            bundle_price_plus_vat: true,
            vat_rate: 0.20,
            installation_gbp,
            running_costs_gbp,
            years,
            electricity_gbp_per_year: (12.0, 15.0),
        }
    }

    /// The cost of one site.
    pub fn per_site(&self) -> SiteCost {
        let bundle = if self.bundle_price_plus_vat {
            self.bundle_price_gbp * (1.0 + self.vat_rate)
        } else {
            self.bundle_price_gbp
        };
        let capital_gbp = bundle + self.installation_gbp;
        let years = f64::from(self.years);
        let (lo, hi) = self.electricity_gbp_per_year;
        let fixed = capital_gbp + self.running_costs_gbp;
        SiteCost {
            bundle_incl_vat_gbp: bundle,
            capital_gbp,
            running_costs_gbp: self.running_costs_gbp,
            electricity_low_gbp: lo * years,
            electricity_high_gbp: hi * years,
            total_low_gbp: fixed + lo * years,
            total_high_gbp: fixed + hi * years,
            years: self.years,
        }
    }

    /// How many sites `budget_gbp` pays for over `years`, at the high electricity estimate
    /// (so the budget is never overrun).
    pub fn sites_within_budget(&self, budget_gbp: f64) -> Result<usize, SitingError> {
        let cost = self.per_site().total_high_gbp;
        if !(budget_gbp.is_finite() && budget_gbp >= 0.0) {
            return Err(SitingError::BadOption(format!(
                "budget must be a non-negative amount in pounds ({budget_gbp})"
            )));
        }
        if !(cost.is_finite() && cost > 0.0) {
            return Err(SitingError::BadOption(format!(
                "cost per site must be positive ({cost})"
            )));
        }
        Ok((budget_gbp / cost + 1e-9).floor() as usize)
    }
}

/// One site's cost over `years`, in pounds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SiteCost {
    pub bundle_incl_vat_gbp: f64,
    /// Bundle with VAT plus installation.
    pub capital_gbp: f64,
    pub running_costs_gbp: f64,
    pub electricity_low_gbp: f64,
    pub electricity_high_gbp: f64,
    pub total_low_gbp: f64,
    pub total_high_gbp: f64,
    pub years: u32,
}

/// Cost per extra arrest covered.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum CostPerArrest {
    /// Yearly cost (total over the years ÷ years) per extra arrest covered per year (arrests
    /// in the data ÷ the period they were counted over), low and high electricity.
    PerYear {
        period_years: f64,
        arrests_per_year: f64,
        low_gbp: f64,
        high_gbp: f64,
    },
    /// The arrest counts cover an unknown period, so only total cost ÷ arrests in the data
    /// can be given.
    UnknownPeriod { low_gbp: f64, high_gbp: f64 },
    /// No extra arrest is covered.
    NoArrestsCovered,
}

impl CostPerArrest {
    /// `sites` new sites covering `extra_arrests` more arrests, counted over
    /// `arrest_period_years` (None: unknown).
    pub fn of(
        cost: &SiteCost,
        sites: usize,
        extra_arrests: f64,
        arrest_period_years: Option<f64>,
    ) -> CostPerArrest {
        if extra_arrests <= 0.0 || sites == 0 {
            return CostPerArrest::NoArrestsCovered;
        }
        let n = sites as f64;
        let (lo, hi) = (cost.total_low_gbp * n, cost.total_high_gbp * n);
        match arrest_period_years {
            Some(p) if p > 0.0 && cost.years > 0 => {
                let years = f64::from(cost.years);
                let per_year = extra_arrests / p;
                CostPerArrest::PerYear {
                    period_years: p,
                    arrests_per_year: per_year,
                    low_gbp: lo / years / per_year,
                    high_gbp: hi / years / per_year,
                }
            }
            _ => CostPerArrest::UnknownPeriod {
                low_gbp: lo / extra_arrests,
                high_gbp: hi / extra_arrests,
            },
        }
    }

    /// A sentence for the summary.
    pub fn describe(&self) -> String {
        match *self {
            CostPerArrest::PerYear {
                period_years,
                low_gbp,
                high_gbp,
                ..
            } => format!(
                "£{low_gbp:.0}–£{high_gbp:.0} a year per extra arrest covered per year (arrests counted over {period_years} years)"
            ),
            CostPerArrest::UnknownPeriod { low_gbp, high_gbp } => format!(
                "£{low_gbp:.0}–£{high_gbp:.0} per extra arrest covered in the data (unknown period: arrests per year cannot be given)"
            ),
            CostPerArrest::NoArrestsCovered => "no extra arrest covered".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Report, Appendix A: first model, package with mild steel cabinet £1214 + VAT; running
    // costs to year 10 £635 (VAT included).
    fn report_model() -> CostModel {
        CostModel::new(1214.0, 300.0, 635.0, 10)
    }

    #[test]
    fn per_site_cost_adds_vat_installation_running_and_electricity() {
        let c = report_model().per_site();
        assert!((c.bundle_incl_vat_gbp - 1456.8).abs() < 1e-9);
        assert!((c.capital_gbp - 1756.8).abs() < 1e-9);
        assert!((c.total_low_gbp - (1756.8 + 635.0 + 120.0)).abs() < 1e-9);
        assert!((c.total_high_gbp - (1756.8 + 635.0 + 150.0)).abs() < 1e-9);
    }

    #[test]
    fn budget_buys_whole_sites_at_the_high_estimate() {
        let m = report_model();
        let per = m.per_site().total_high_gbp; // 2541.8
        assert_eq!(m.sites_within_budget(per * 3.0).unwrap(), 3);
        assert_eq!(m.sites_within_budget(per * 3.0 - 1.0).unwrap(), 2);
        assert_eq!(m.sites_within_budget(0.0).unwrap(), 0);
        assert!(m.sites_within_budget(-5.0).is_err());
    }

    #[test]
    fn cost_per_arrest_with_and_without_period() {
        let c = report_model().per_site();
        // 2 sites, 5 extra arrests over 2.5 years = 2 a year; cost per year = total·2/10.
        match CostPerArrest::of(&c, 2, 5.0, Some(2.5)) {
            CostPerArrest::PerYear {
                arrests_per_year,
                high_gbp,
                ..
            } => {
                assert!((arrests_per_year - 2.0).abs() < 1e-12);
                assert!((high_gbp - c.total_high_gbp * 2.0 / 10.0 / 2.0).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        let u = CostPerArrest::of(&c, 2, 5.0, None);
        assert!(u.describe().contains("unknown period"));
        assert_eq!(
            CostPerArrest::of(&c, 2, 0.0, None),
            CostPerArrest::NoArrestsCovered
        );
    }
}
