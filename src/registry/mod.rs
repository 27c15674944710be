//! The AED and guardian registry: the model, its CSV files and readiness triage.

mod csv_io;
mod model;
mod readiness;
pub mod validate;

pub use csv_io::{
    AED_COLUMNS, AedFile, GUARDIAN_COLUMNS, GuardianFile, ReadOptions, RegistryError, RowError,
    read_aeds, read_aeds_from_reader, read_guardians, read_guardians_from_reader, write_aeds,
    write_guardians,
};
pub use model::{
    AccessClass, Aed, Coord, Description, Details, Guardian, Location, LocationSource, ManagedBy,
    Status,
};
pub use readiness::{
    CheckOptions, CheckReport, DeviceTriage, Problem, ProblemKind, Summary, Triage, check,
    check_files, check_unranked, summarize,
};
