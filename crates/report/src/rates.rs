//! Rates from `metrics.ndjson`'s flushed aggregates: the flush instants cut the run into
//! intervals (at most [`MAX_INTERVALS`], still cut at flush instants when a raw-mode file
//! has one line per event), a series' increase in an interval over its length is its rate,
//! and a histogram's median is read from an interval's bucket counts.

/// Intervals drawn at most: more flushes (or a raw-mode file, one line per event) are
/// merged into this many, still cut at flush instants.
pub(crate) const MAX_INTERVALS: usize = 120;

/// The intervals' ends in seconds since the run started: the flush instants, ascending,
/// at most [`MAX_INTERVALS`] of them (the last always kept); never empty.
pub(crate) fn interval_ends(xs: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut ends: Vec<f64> = xs.into_iter().filter(|x| x.is_finite()).collect();
    ends.sort_by(f64::total_cmp);
    ends.dedup_by(|a, b| (*a - *b).abs() < 1e-6);
    // A flush at the very start has no time before it: it counts in the first interval.
    ends.retain(|x| *x > 1e-6);
    if ends.len() > MAX_INTERVALS {
        let k = ends.len().div_ceil(MAX_INTERVALS);
        let last = ends.last().copied();
        ends = ends.iter().copied().skip(k - 1).step_by(k).collect();
        if let Some(last) = last
            && ends.last().is_none_or(|e| *e < last)
        {
            ends.push(last);
        }
    }
    if ends.is_empty() {
        ends.push(1.0);
    }
    ends
}

/// The interval `x` falls in: the first whose end is not before it.
pub(crate) fn interval_of(ends: &[f64], x: f64) -> usize {
    ends.partition_point(|e| *e < x - 1e-6)
        .min(ends.len().saturating_sub(1))
}

/// Per-interval sums of `values` (x, value) as rates: each sum over its interval's length.
pub(crate) fn rates(ends: &[f64], values: impl IntoIterator<Item = (f64, f64)>) -> Vec<f64> {
    let mut sums = vec![0.0; ends.len()];
    for (x, v) in values {
        if v.is_finite() {
            sums[interval_of(ends, x)] += v;
        }
    }
    let mut from = 0.0;
    sums.iter()
        .zip(ends)
        .map(|(sum, end)| {
            let rate = sum / (end - from).max(1e-9);
            from = *end;
            rate
        })
        .collect()
}

/// Per-interval values as a stepped line: flat over each interval.
pub(crate) fn steps(ends: &[f64], values: &[f64]) -> Vec<(f64, f64)> {
    let mut from = 0.0;
    let mut line = Vec::with_capacity(values.len() * 2);
    for (end, v) in ends.iter().zip(values) {
        line.push((from, *v));
        line.push((*end, *v));
        from = *end;
    }
    line
}

/// The median of bucket counts (`bounds` are the upper bounds, `+Inf` after the last),
/// read by linear interpolation within its bucket, clamped to the observed `min`/`max`.
pub(crate) fn median(bounds: &[f64], counts: &[u64], min: f64, max: f64) -> Option<f64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let target = total as f64 / 2.0;
    let mut below = 0.0;
    for (i, &c) in counts.iter().enumerate() {
        let c = c as f64;
        if c > 0.0 && below + c >= target {
            // A damaged line may carry fewer bounds than buckets: read what is there.
            let lo = match i.checked_sub(1).and_then(|j| bounds.get(j)) {
                Some(b) => b.max(min),
                None => min,
            };
            let hi = bounds.get(i).copied().unwrap_or(max).min(max).max(lo);
            return Some(lo + (hi - lo) * ((target - below) / c));
        }
        below += c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{interval_ends, median, rates};

    #[test]
    fn a_damaged_histogram_line_never_panics() {
        // Two buckets, no bounds: a line no writer produces.
        let m = median(&[], &[0, 5], 1.0, 3.0).unwrap();
        assert!((1.0..=3.0).contains(&m), "{m}");
        assert_eq!(median(&[1.0], &[], 0.0, 1.0), None);
    }

    #[test]
    fn rates_are_increases_over_the_time_since_the_previous_flush() {
        let ends = interval_ends([10.0, 20.0, 20.0, 40.0]);
        assert_eq!(ends, [10.0, 20.0, 40.0]);
        // 100 by the first flush, nothing at the second, 400 at the third.
        let r = rates(&ends, [(10.0, 100.0), (40.0, 400.0)]);
        assert_eq!(r, [10.0, 0.0, 20.0]);
    }

    #[test]
    fn a_raw_file_is_merged_into_intervals_cut_at_its_instants() {
        let ends = interval_ends((1..=1000).map(f64::from));
        assert!(ends.len() <= super::MAX_INTERVALS && ends.last() == Some(&1000.0));
        let r = rates(&ends, (1..=1000).map(|x| (f64::from(x), 2.0)));
        assert!(r.iter().all(|v| (v - 2.0).abs() < 1e-9), "{r:?}");
    }

    #[test]
    fn nothing_flushed_after_the_start_still_has_one_interval() {
        assert_eq!(interval_ends([0.0]), [1.0]);
        assert_eq!(interval_ends([]), [1.0]);
    }

    #[test]
    fn the_median_is_read_within_its_bucket() {
        // 10 observations ≤ 1 ms, 10 in (1 ms, 5 ms]: the median is the first bucket's top.
        assert_eq!(
            median(&[0.001, 0.005], &[10, 10, 0], 0.0002, 0.004),
            Some(0.001)
        );
        assert_eq!(
            median(&[0.001, 0.005], &[0, 4, 0], 0.0002, 0.004),
            Some(0.0025)
        );
        assert_eq!(median(&[1.0], &[0, 0], 0.0, 1.0), None);
    }
}
