//! Where each input came from, and what its licence asks of every output it feeds.
//!
//! Every importer and reader returns the [`Source`] of what it read; an output collects the
//! [`Sources`] of everything that fed it and carries their attribution. A source whose terms
//! forbid public-facing use ([`Source::publishable`] false, e.g. The Circuit) makes the
//! output say so, and the service shows its features only to an authenticated caller.
//!
//! Attribution is decided from these declared values, never from a file name.

/// Where an input came from, and what its licence asks of every output it feeds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Source {
    /// Stable short key, e.g. "osm", "codepoint_open", "ons", "wikipedia_postcode_districts",
    /// "seed_report", "bhf_circuit", or a study-given key.
    pub key: String,
    /// The full attribution text outputs must carry.
    pub attribution: String,
    /// Short form for map footers.
    pub short: String,
    /// Licence name, e.g. "ODbL 1.0", "OGL v3", "CC BY-SA 3.0"; "unknown" when not declared.
    pub licence: String,
    /// False when the terms forbid public-facing use (maps, public API): outputs say so and the
    /// service shows its features only to an authenticated caller.
    pub publishable: bool,
}

impl Source {
    fn new(key: &str, attribution: &str, short: &str, licence: &str, publishable: bool) -> Self {
        Source {
            key: key.to_string(),
            attribution: attribution.to_string(),
            short: short.to_string(),
            licence: licence.to_string(),
            publishable,
        }
    }

    /// The Leicestershire County Council scrutiny report (November 2021) whose tables are
    /// typed into `seeds/`. It states no licence; its aggregate counts are quoted, with this
    /// citation, as the analysis has always done.
    pub fn seed_report() -> Source {
        Source::new(
            "seed_report",
            "Leicestershire County Council, Health Overview and Scrutiny Committee, 10 November 2021: Distribution of AEDs within Leicestershire (tables typed from the report)",
            "AED counts: Leicestershire CC report, Nov 2021",
            "unknown",
            true,
        )
    }

    /// OS Code-Point Open postcode unit centroids.
    pub fn codepoint_open() -> Source {
        Source::new(
            "codepoint_open",
            "Contains OS data © Crown copyright and database right 2025; Contains Royal Mail data © Royal Mail copyright and database right 2025; Contains National Statistics data © Crown copyright and database right 2025 (Code-Point Open, OGL v3)",
            "Contains OS data © Crown copyright and database right 2025; Royal Mail data © Royal Mail 2025",
            "OGL v3",
            true,
        )
    }

    /// ONS LSOA 2021 boundaries and Census 2021 residents.
    pub fn ons() -> Source {
        Source::new(
            "ons",
            "Source: Office for National Statistics licensed under the Open Government Licence v.3.0 (LSOA 2021 boundaries, Census 2021 residents); Contains OS data © Crown copyright and database right",
            "ONS, OGL v3",
            "OGL v3",
            true,
        )
    }

    /// English Indices of Deprivation 2025 by LSOA 2021 (MHCLG, File 7).
    pub fn imd2025() -> Source {
        Source::new(
            "imd2025",
            "Contains public sector information licensed under the Open Government Licence v3.0 (MHCLG, English Indices of Deprivation 2025)",
            "MHCLG IMD 2025, OGL v3",
            "OGL v3",
            true,
        )
    }

    /// Postcode district polygons from Wikipedia (share-alike: derived polygons inherit it).
    pub fn wikipedia_postcode_districts() -> Source {
        Source::new(
            "wikipedia_postcode_districts",
            "Postcode district polygons © Wikipedia contributors, CC BY-SA 3.0 (missinglink/uk-postcode-polygons); derived polygons are shared alike",
            "Postcode districts © Wikipedia contributors, CC BY-SA 3.0",
            "CC BY-SA 3.0",
            true,
        )
    }

    /// OpenStreetMap data (Overpass, OpenAEDMap downloads, PBF extracts).
    pub fn osm() -> Source {
        Source::new(
            "osm",
            "© OpenStreetMap contributors, ODbL 1.0",
            "© OpenStreetMap contributors, ODbL",
            "ODbL 1.0",
            true,
        )
    }

    /// An extract of The Circuit, the BHF's national defibrillator network, as supplied to
    /// coordinators under its data-sharing terms: not open, not for public-facing use.
    pub fn bhf_circuit() -> Source {
        Source::new(
            "bhf_circuit",
            "Defibrillator locations: The Circuit – the national defibrillator network (British Heart Foundation), extract supplied under its data-sharing terms; not for public-facing maps or services",
            "AEDs: The Circuit (BHF) – not for publication",
            "The Circuit data-sharing terms (not open)",
            false,
        )
    }

    /// Trafford Council's defibrillator register (January 2017).
    pub fn trafford_council() -> Source {
        Source::new(
            "trafford_council",
            "Trafford Council defibrillator register (January 2017), Open Government Licence v3.0",
            "AEDs: Trafford Council, OGL v3",
            "OGL v3",
            true,
        )
    }

    /// A source declared by a study: key, attribution, licence, publishable.
    ///
    /// The attribution doubles as the short form.
    pub fn declared(key: &str, attribution: &str, licence: &str, publishable: bool) -> Source {
        Source::new(key, attribution, attribution, licence, publishable)
    }

    /// Placeholder for an input whose study declares nothing: attribution "not declared", licence "unknown".
    ///
    /// Not publishable: with no known terms there is no permission to publish.
    pub fn undeclared(key: &str) -> Source {
        Source::new(
            key,
            "not declared",
            &format!("{key}: source not declared"),
            "unknown",
            // Not marked as restricted: only a declaration (or an importer) can mark a
            // source not for publication. Outputs still say the licence is unknown.
            true,
        )
    }
}

/// A sorted, de-duplicated list of the sources that fed one output.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sources(Vec<Source>);

impl Sources {
    /// No sources.
    pub fn new() -> Self {
        Sources(Vec::new())
    }

    /// Add a source; one equal to a source already present is not added twice.
    pub fn add(&mut self, s: Source) {
        if let Err(at) = self.0.binary_search(&s) {
            self.0.insert(at, s);
        }
    }

    /// Add every source of `other`.
    pub fn extend(&mut self, other: &Sources) {
        for s in &other.0 {
            self.add(s.clone());
        }
    }

    /// The sources in order (by key, then the other fields).
    pub fn iter(&self) -> impl Iterator<Item = &Source> {
        self.0.iter()
    }

    /// True when every source may be published (and so when there are none).
    pub fn all_publishable(&self) -> bool {
        self.0.iter().all(|s| s.publishable)
    }

    /// True when there are no sources.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of distinct sources.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_keys_and_publishability() {
        let all = [
            Source::seed_report(),
            Source::codepoint_open(),
            Source::ons(),
            Source::wikipedia_postcode_districts(),
            Source::osm(),
            Source::bhf_circuit(),
            Source::trafford_council(),
        ];
        let keys: Vec<_> = all.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "seed_report",
                "codepoint_open",
                "ons",
                "wikipedia_postcode_districts",
                "osm",
                "bhf_circuit",
                "trafford_council"
            ]
        );
        let closed: Vec<_> = all.iter().filter(|s| !s.publishable).collect();
        assert_eq!(closed, [&Source::bhf_circuit()]);
        assert!(
            Source::bhf_circuit()
                .attribution
                .contains("not for public-facing")
        );
        assert_eq!(Source::osm().licence, "ODbL 1.0");
    }

    #[test]
    fn declared_and_undeclared() {
        let d = Source::declared("council", "Council X, OGL v3", "OGL v3", true);
        assert_eq!(
            (d.key.as_str(), d.short.as_str(), d.publishable),
            ("council", "Council X, OGL v3", true)
        );
        let u = Source::undeclared("trafford_defibrillators");
        assert_eq!(u.attribution, "not declared");
        assert_eq!(u.licence, "unknown");
        assert!(
            u.publishable,
            "only a declaration marks a source not for publication"
        );
    }

    #[test]
    fn sources_sorted_and_deduplicated() {
        let mut s = Sources::new();
        assert!(s.is_empty() && s.all_publishable());
        s.add(Source::osm());
        s.add(Source::codepoint_open());
        s.add(Source::osm());
        assert_eq!(s.len(), 2);
        assert!(s.all_publishable());
        let mut t = Sources::new();
        t.add(Source::bhf_circuit());
        t.add(Source::codepoint_open());
        s.extend(&t);
        let keys: Vec<_> = s.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["bhf_circuit", "codepoint_open", "osm"]);
        assert!(!s.all_publishable());
        assert_eq!(
            serde_json::to_value(&s).unwrap()[0]["key"],
            serde_json::json!("bhf_circuit")
        );
    }
}
