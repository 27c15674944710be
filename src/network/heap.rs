//! A monotone radix heap on `u64` keys, for Dijkstra on non-negative `f64` distances (whose
//! bit patterns order as the numbers do). Popped keys never decrease, and a key pushed must
//! not be below the last one popped — which Dijkstra guarantees. Each item moves down at most
//! 64 buckets over its life, and a bucket is a plain `Vec`, so pushes and pops touch memory
//! in order instead of sifting through a binary heap.

/// Items `(key, value)`; bucket `b` holds keys whose highest bit differing from `last` is
/// bit `b - 1` (bucket 0: keys equal to `last`).
pub struct RadixHeap<V> {
    buckets: Vec<Vec<(u64, V)>>,
    last: u64,
    len: usize,
}

impl<V: Copy> Default for RadixHeap<V> {
    fn default() -> Self {
        RadixHeap::new()
    }
}

impl<V: Copy> RadixHeap<V> {
    pub fn new() -> RadixHeap<V> {
        RadixHeap {
            buckets: (0..65).map(|_| Vec::new()).collect(),
            last: 0,
            len: 0,
        }
    }

    fn bucket(&self, key: u64) -> usize {
        (64 - (key ^ self.last).leading_zeros()) as usize
    }

    /// Adds an item; `key` must be at least the last key popped (a smaller key is treated
    /// as equal to it).
    pub fn push(&mut self, key: u64, value: V) {
        let key = key.max(self.last);
        let b = self.bucket(key);
        self.buckets[b].push((key, value));
        self.len += 1;
    }

    /// Removes an item of the smallest key. Among equal keys the order is unspecified.
    pub fn pop(&mut self) -> Option<(u64, V)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let b = self.buckets.iter().position(|v| !v.is_empty())?;
            let mut items = std::mem::take(&mut self.buckets[b]);
            self.last = items.iter().map(|x| x.0).min()?;
            // Every item shares bits above b - 1 with the new floor: all move to lower buckets.
            for &(k, v) in &items {
                let nb = self.bucket(k);
                self.buckets[nb].push((k, v));
            }
            // Keep the bucket's allocation for later pushes.
            items.clear();
            self.buckets[b] = items;
        }
        self.len -= 1;
        self.buckets[0].pop()
    }

    /// Empties the heap, keeping its allocations, and resets the floor to 0.
    pub fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dijkstra-like use: pops come out in order, pushes are at or above the last pop.
    #[test]
    fn pops_in_key_order() {
        let mut seed = 3u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 20
        };
        let mut h = RadixHeap::new();
        let mut reference = std::collections::BinaryHeap::new();
        for i in 0..100u32 {
            let k = next() % 1000;
            h.push(k, i);
            reference.push(std::cmp::Reverse(k));
        }
        let mut last = 0;
        let mut popped = 0;
        while let Some((k, _)) = h.pop() {
            assert!(k >= last);
            assert_eq!(Some(std::cmp::Reverse(k)), reference.pop());
            last = k;
            popped += 1;
            if popped < 2000 {
                for j in 0..(next() % 3) {
                    let k2 = k + next() % 500;
                    h.push(k2, j as u32);
                    reference.push(std::cmp::Reverse(k2));
                }
            }
        }
        assert!(reference.is_empty());
        // Distances as bits.
        let mut h = RadixHeap::new();
        for d in [3.5f64, 0.25, 499.9, 0.0, 17.0] {
            h.push(d.to_bits(), ());
        }
        let order: Vec<f64> =
            std::iter::from_fn(|| h.pop().map(|(k, _)| f64::from_bits(k))).collect();
        assert_eq!(order, [0.0, 0.25, 3.5, 17.0, 499.9]);
    }
}
