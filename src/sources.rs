//! Where each input came from, and what its licence asks of every output it feeds.
//! (Interim copy: replaced by the full module on the circuit-import branch.)

/// Where an input came from, and what its licence asks of every output it feeds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Source {
    pub key: String,
    pub attribution: String,
    pub short: String,
    pub licence: String,
    pub publishable: bool,
}

impl Source {
    fn known(key: &str, attribution: &str, short: &str, licence: &str) -> Source {
        Source {
            key: key.into(),
            attribution: attribution.into(),
            short: short.into(),
            licence: licence.into(),
            publishable: true,
        }
    }
    pub fn seed_report() -> Source {
        Self::known(
            "seed_report",
            "Leicestershire County Council, Health Overview and Scrutiny Committee, 10 November 2021: Distribution of AEDs within Leicestershire (tables typed from the report)",
            "AED counts: Leicestershire CC report, Nov 2021",
            "public committee report",
        )
    }
    pub fn codepoint_open() -> Source {
        Self::known(
            "codepoint_open",
            "Contains OS data © Crown copyright and database right 2025; Contains Royal Mail data © Royal Mail copyright and database right 2025; Contains National Statistics data © Crown copyright and database right 2025 (Code-Point Open, OGL v3)",
            "Contains OS data © Crown copyright and database right 2025; Royal Mail data © Royal Mail 2025",
            "OGL v3",
        )
    }
    pub fn ons() -> Source {
        Self::known(
            "ons",
            "Source: Office for National Statistics licensed under the Open Government Licence v.3.0 (LSOA 2021 boundaries, Census 2021 residents); Contains OS data © Crown copyright and database right",
            "ONS, OGL v3",
            "OGL v3",
        )
    }
    pub fn wikipedia_postcode_districts() -> Source {
        Self::known(
            "wikipedia_postcode_districts",
            "Postcode district polygons © Wikipedia contributors, CC BY-SA 3.0 (missinglink/uk-postcode-polygons); derived polygons are shared alike",
            "Postcode districts © Wikipedia contributors, CC BY-SA 3.0",
            "CC BY-SA 3.0",
        )
    }
    pub fn osm() -> Source {
        Self::known(
            "osm",
            "© OpenStreetMap contributors, ODbL 1.0",
            "© OpenStreetMap contributors, ODbL",
            "ODbL 1.0",
        )
    }
    pub fn trafford_council() -> Source {
        Self::known(
            "trafford_council",
            "Trafford Council defibrillator register (January 2017), Open Government Licence v3.0",
            "AEDs: Trafford Council, OGL v3",
            "OGL v3",
        )
    }
    pub fn bhf_circuit() -> Source {
        Source {
            publishable: false,
            ..Self::known(
                "bhf_circuit",
                "Defibrillator locations: The Circuit (British Heart Foundation); not for public-facing maps or services",
                "AEDs: The Circuit (BHF), not for publication",
                "The Circuit data-sharing terms (not open)",
            )
        }
    }
    pub fn declared(key: &str, attribution: &str, licence: &str, publishable: bool) -> Source {
        Source {
            publishable,
            ..Self::known(key, attribution, attribution, licence)
        }
    }
    pub fn undeclared(key: &str) -> Source {
        Self::known(key, "not declared", "source not declared", "unknown")
    }
}

/// A sorted, de-duplicated list of the sources that fed one output.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sources(Vec<Source>);

impl Sources {
    pub fn new() -> Self {
        Sources(Vec::new())
    }
    pub fn add(&mut self, s: Source) {
        if let Err(i) = self.0.binary_search(&s) {
            self.0.insert(i, s);
        }
    }
    pub fn extend(&mut self, other: &Sources) {
        for s in other.iter() {
            self.add(s.clone());
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = &Source> {
        self.0.iter()
    }
    pub fn all_publishable(&self) -> bool {
        self.0.iter().all(|s| s.publishable)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}
