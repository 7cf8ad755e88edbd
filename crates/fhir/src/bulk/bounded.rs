//! Running futures concurrently, at most `limit` at a time, on the caller's task (no
//! spawning, so they may borrow): how an export downloads its files in parallel.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Awaits every future of `futures`, at most `limit` (at least 1) in flight at once, and
/// hands each output to `each` as it completes (in completion order).
pub(crate) async fn for_each_bounded<F, T>(
    futures: impl IntoIterator<Item = F>,
    limit: usize,
    mut each: impl FnMut(T),
) where
    F: Future<Output = T>,
{
    let mut pending = futures.into_iter();
    let mut running: Vec<Pin<Box<F>>> = Vec::new();
    loop {
        while running.len() < limit.max(1) {
            match pending.next() {
                Some(f) => running.push(Box::pin(f)),
                None => break,
            }
        }
        if running.is_empty() {
            return;
        }
        let out = std::future::poll_fn(|cx| {
            for i in 0..running.len() {
                if let Poll::Ready(out) = running[i].as_mut().poll(cx) {
                    drop(running.swap_remove(i));
                    return Poll::Ready(out);
                }
            }
            Poll::Pending
        })
        .await;
        each(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn never_more_than_the_limit_in_flight() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (now, peak) = (Cell::new(0), Cell::new(0));
        let mut done = Vec::new();
        rt.block_on(for_each_bounded(
            (0..10).map(|i| {
                let (now, peak) = (&now, &peak);
                async move {
                    now.set(now.get() + 1);
                    peak.set(peak.get().max(now.get()));
                    tokio::task::yield_now().await;
                    now.set(now.get() - 1);
                    i
                }
            }),
            3,
            |i| done.push(i),
        ));
        done.sort_unstable();
        assert_eq!(done, (0..10).collect::<Vec<_>>());
        assert_eq!(peak.get(), 3);
    }
}
