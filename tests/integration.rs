//! The integration tests, one binary: each file in `tests/` is a module here, so that the
//! dependencies are linked once rather than once per file. A new test file must be added
//! below; `every_test_file_is_a_module` fails otherwise.

mod api_support;

mod analyse_default;
mod analyse_studies;
mod api_clients;
mod api_durability;
mod api_ogc;
mod api_routes;
mod api_study;
mod areas_open_data;
mod best_case;
mod cli_import;
mod codepoint_open;
mod coverage_open_data;
mod csv_headers;
mod derive_open_data;
mod districts_cli;
mod export_geojson;
mod export_maps;
mod export_open_data;
mod fuzz_inputs;
mod import_open_data;
mod outputs_and_accounts;
mod pipeline_cli;
mod population_open_data;
mod registry_cli;
mod registry_criticality;
mod seeds;
mod siting_cli;
mod siting_virginia_beach;
mod walk_network;

/// Every `tests/*.rs` file is compiled: a file missing from the list above would never run.
#[test]
fn every_test_file_is_a_module() {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let root = std::fs::read_to_string(here.join("integration.rs")).unwrap();
    for entry in std::fs::read_dir(&here).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs") && stem != "integration" {
            assert!(
                root.contains(&format!("\nmod {stem};\n")),
                "tests/{stem}.rs is not declared in tests/integration.rs"
            );
        }
    }
}
