//! A `tracing-subscriber` layer that turns existing spans (`#[instrument]`, `info_span!`)
//! into profiler components (feature `tracing`).

use tracing::Subscriber;
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::Profiler;

/// Times every span of the subscriber it is added to, as a component named after the span
/// (`target::name` when `with_target`, else the span's name).
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let profiler = steadfast_perf_profiler::Profiler::new();
/// let subscriber = tracing_subscriber::registry().with(profiler.tracing_layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let _s = tracing::info_span!("load_bundle").entered();
/// });
/// assert_eq!(profiler.snapshot().component("load_bundle").unwrap().calls, 1);
/// ```
#[derive(Debug, Clone)]
pub struct ProfilerLayer {
    profiler: Profiler,
    with_target: bool,
}

impl Profiler {
    /// A `tracing` layer feeding this profiler.
    pub fn tracing_layer(&self) -> ProfilerLayer {
        ProfilerLayer {
            profiler: self.clone(),
            with_target: false,
        }
    }
}

impl ProfilerLayer {
    /// Names components `target::name` instead of `name`.
    #[must_use]
    pub fn with_target(mut self, yes: bool) -> Self {
        self.with_target = yes;
        self
    }
}

/// Where a span was entered, kept in the span's extensions.
struct Entered(u64);

impl<S> tracing_subscriber::Layer<S> for ProfilerLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {}

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let start = self.profiler.shared.clock.raw();
            span.extensions_mut().replace(Entered(start));
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(Entered(start)) = span.extensions_mut().remove::<Entered>() else {
            return;
        };
        let clock = &self.profiler.shared.clock;
        let ns = clock.delta_as_nanos(start, clock.raw());
        let meta = span.metadata();
        let name = if self.with_target {
            format!("{}::{}", meta.target(), meta.name())
        } else {
            meta.name().to_owned()
        };
        self.profiler
            .record(&name, std::time::Duration::from_nanos(ns));
    }
}
