//! A small deterministic generator for tests: reproducible, and no extra crate.

/// A 64-bit linear congruential generator (Knuth's MMIX constants), seeded with its state.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    /// The next number in [0, 1), from the top 53 bits of the state.
    pub(crate) fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
