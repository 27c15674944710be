//! The AED and guardian registry: the model, its CSV files and readiness triage.

mod model;

pub use model::{AccessClass, Aed, Coord, Guardian, Location, LocationSource, ManagedBy, Status};
