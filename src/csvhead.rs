//! One rule for matching CSV header names, shared by every CSV reader.
//!
//! A header name is normalised once: a UTF-8 byte-order mark is stripped, surrounding
//! whitespace is trimmed, ASCII letters are folded to lower case, and each space or `-`
//! reads as `_`. So `\u{feff}ID`, ` Opening Hours ` and `opening-hours` are the columns
//! `id` and `opening_hours`. Lookups normalise the name asked for the same way, so a reader
//! may ask for `"post code"` or `"post_code"` alike.
//!
//! Readers keep their own aliases (`lat`/`latitude`) and their own error types; they map
//! [`MissingColumn`] and [`Duplicate`] into the `file:line: column: reason (value)` form.
//!
//! # Examples
//! ```
//! use aedcover::csvhead::Headers;
//! let record = csv::StringRecord::from(vec!["\u{feff}ID", " Lat ", "LONGITUDE"]);
//! let h = Headers::new(&record);
//! assert_eq!(h.find("id"), Some(0));
//! assert_eq!(h.find_any(&["lon", "longitude"]), Some(2));
//! assert_eq!(h.label(1), Some("Lat"));
//! assert!(h.require("weight").is_err());
//! ```

use std::fmt;

/// Header names of a CSV, normalised once (see [`normalise`]). Lookups use the same
/// normalisation; the first column of a repeated name wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// Normalised names, one per column.
    names: Vec<String>,
    /// Names as written, with the byte-order mark and surrounding whitespace removed.
    labels: Vec<String>,
}

/// A required column is not in the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no `{column}` column (the header has: {found})")]
pub struct MissingColumn {
    /// The column asked for, as the reader spells it.
    pub column: String,
    /// The header's names as written, comma-separated.
    pub found: String,
}

/// A header name that appears again, after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The normalised name.
    pub name: String,
    /// 0-based index of the first column with this name (the one lookups return).
    pub first: usize,
    /// 0-based index of the repeat.
    pub again: usize,
    /// The repeat as written in the file.
    pub label: String,
}

impl Duplicate {
    /// `file:1: column: duplicate header (label)`, the row-error form readers use.
    pub fn message(&self, file: &str) -> String {
        format!(
            "{file}:1: {}: duplicate header ({:?})",
            self.name, self.label
        )
    }
}

/// The normalised form of a header name: BOM stripped, surrounding whitespace trimmed,
/// ASCII case folded, and each space or `-` as `_`.
pub fn normalise(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// A header name as written, minus the byte-order mark and surrounding whitespace.
fn label(name: &str) -> &str {
    name.trim().trim_start_matches('\u{feff}').trim()
}

impl Headers {
    /// The headers of a CSV record (usually `csv::Reader::headers()`).
    pub fn new(record: &csv::StringRecord) -> Headers {
        Headers::from_names(record.iter())
    }

    /// The headers from names already split (e.g. a header line parsed by hand).
    pub fn from_names<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Headers {
        let (names, labels) = names
            .into_iter()
            .map(|n| (normalise(n.as_ref()), label(n.as_ref()).to_string()))
            .unzip();
        Headers { names, labels }
    }

    /// The column of `name` (normalised before comparing), the first if it repeats.
    pub fn find(&self, name: &str) -> Option<usize> {
        let want = normalise(name);
        self.names.iter().position(|n| *n == want)
    }

    /// The column of the first of `names` that the header has, in the order of `names`.
    pub fn find_any(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.find(n))
    }

    /// The column of `name`, or an error naming it and listing the header.
    pub fn require(&self, name: &str) -> Result<usize, MissingColumn> {
        self.find(name).ok_or_else(|| MissingColumn {
            column: name.to_string(),
            found: self.joined(),
        })
    }

    /// Normalised names, one per column.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Column `i`'s name as written (BOM and surrounding whitespace removed), for messages.
    pub fn label(&self, i: usize) -> Option<&str> {
        self.labels.get(i).map(String::as_str)
    }

    /// The names as written, comma-separated, for messages.
    pub fn joined(&self) -> String {
        self.labels.join(",")
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when the header has no columns.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Every column whose normalised name an earlier column already has, in column order.
    pub fn duplicates(&self) -> Vec<Duplicate> {
        let mut first_at = std::collections::HashMap::new();
        let mut out = Vec::new();
        for (i, n) in self.names.iter().enumerate() {
            if let Some(&first) = first_at.get(n.as_str()) {
                out.push(Duplicate {
                    name: n.clone(),
                    first,
                    again: i,
                    label: self.labels[i].clone(),
                });
            } else {
                first_at.insert(n.as_str(), i);
            }
        }
        out
    }
}

impl fmt::Display for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.joined())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_of(text: &str) -> Headers {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        Headers::new(rdr.headers().unwrap())
    }

    #[test]
    fn normalise_strips_bom_trims_folds_case_and_separators() {
        assert_eq!(normalise("\u{feff}ID"), "id");
        assert_eq!(normalise("  Lat\t"), "lat");
        assert_eq!(normalise(" \u{feff} Opening Hours "), "opening_hours");
        assert_eq!(normalise("pads-expiry"), "pads_expiry");
        assert_eq!(normalise("Post Code"), "post_code");
        // Only ASCII folds: other letters are kept as written.
        assert_eq!(normalise("ÉTAT"), "État");
        assert_eq!(normalise(""), "");
    }

    #[test]
    fn bom_at_the_start_of_the_file() {
        let h = headers_of("\u{feff}postcode,weight\nLE1 1AA,2\n");
        assert_eq!(h.find("postcode"), Some(0));
        assert_eq!(h.label(0), Some("postcode"));
    }

    #[test]
    fn crlf_line_ends_leave_no_carriage_return() {
        let h = headers_of("id,name\r\nA,B\r\n");
        assert_eq!(h.names(), ["id", "name"]);
        assert_eq!(h.find("name"), Some(1));
    }

    #[test]
    fn case_and_whitespace_on_both_sides() {
        let h = headers_of(" ID , Name ,LAT\n");
        assert_eq!(h.find("id"), Some(0));
        assert_eq!(h.find(" NAME"), Some(1));
        assert_eq!(h.find("lat"), Some(2));
        assert_eq!(h.label(1), Some("Name"));
        assert_eq!(h.joined(), "ID,Name,LAT");
        assert_eq!(h.len(), 3);
    }

    #[test]
    fn aliases_in_the_order_asked() {
        let h = headers_of("Longitude,lon,Latitude\n");
        assert_eq!(h.find_any(&["lon", "longitude"]), Some(1));
        assert_eq!(h.find_any(&["lat", "latitude"]), Some(2));
        assert_eq!(h.find_any(&["x", "easting"]), None);
    }

    #[test]
    fn missing_names_the_column_and_lists_the_header() {
        let h = headers_of("\u{feff}A,b\n");
        let e = h.require("weight").unwrap_err();
        assert_eq!(e.column, "weight");
        assert_eq!(e.to_string(), "no `weight` column (the header has: A,b)");
        assert_eq!(h.require("B"), Ok(1));
    }

    #[test]
    fn duplicates_after_normalisation() {
        let h = headers_of("id,Name,ID ,name,notes\n");
        let d = h.duplicates();
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].name.as_str(), d[0].first, d[0].again), ("id", 0, 2));
        assert_eq!(d[0].label, "ID");
        assert_eq!(
            d[1].message("aeds.csv"),
            "aeds.csv:1: name: duplicate header (\"name\")"
        );
        // Lookups return the first.
        assert_eq!(h.find("name"), Some(1));
        assert!(headers_of("a,b\n").duplicates().is_empty());
    }

    #[test]
    fn empty_header() {
        let h = Headers::from_names(Vec::<String>::new());
        assert!(h.is_empty());
        assert_eq!(h.find(""), None);
    }

    proptest::proptest! {
        #[test]
        fn normalise_is_idempotent_and_lookups_agree(name in "\u{feff}?[ a-zA-Z_-]{0,12}") {
            let once = normalise(&name);
            proptest::prop_assert_eq!(normalise(&once), once.clone());
            let h = Headers::from_names([name.as_str()]);
            proptest::prop_assert_eq!(h.find(&name), Some(0));
            proptest::prop_assert_eq!(h.find(&once), Some(0));
        }
    }
}
