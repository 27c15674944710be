//! # aedcover
//!
//! A registry of public-access defibrillators (AEDs) and their guardians, joined with
//! cardiac-arrest counts by postcode, to find where people are more than 500 m from a usable
//! AED and where new cabinets would cover the most arrests.
//!
//! ## Data flow
//! `registry` (AEDs, guardians, readiness) → `geography` (postcodes, CRS, areas,
//! population) → `demand` (incidents as weighted points) → `coverage` (index, radii, stats,
//! gaps, criticality) → `siting` → `export` (GeoJSON, CSV, maps) → `api` (axum).
//! `network` (OpenStreetMap path network, snapping, bounded Dijkstra) gives `coverage` its
//! walking distances when a study walks.
//!
//! ## Units and coordinates
//! Computation is in metres in a metric CRS: British National Grid (EPSG:27700) for UK data,
//! a local UTM zone elsewhere. Everything published is WGS84 lon/lat (RFC 7946). Names carry
//! their units: `radius_m`, `distance_m`, `area_km2`, `cost_gbp`.

pub mod api;
pub mod cli;
pub mod coverage;
pub mod csvhead;
pub mod demand;
pub mod districts;
pub mod export;
pub mod geography;
pub mod huge_pages;
pub mod import;
pub mod input;
pub mod network;
pub mod opendata;
pub mod pipeline;
pub mod registry;
pub mod seeds;
pub mod siting;
pub mod sources;
pub mod store;
pub mod study;
mod sync;
#[cfg(test)]
mod test_rng;
