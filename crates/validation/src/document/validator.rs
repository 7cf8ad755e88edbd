//! The schema side of a check as the driver sees it: a root evaluation fed the document's
//! own tokens, which may hand each record to an item evaluation that runs elsewhere (a
//! worker). The JSON Schema evaluator implements it; so does [`NoSchema`] (records only).

use super::event::{Pos, Token};
use super::finding::Findings;
use super::schema::{Evaluator, ItemSchemas, JsonSchema, QuickState, passes_syntax};

/// Consumes tokens and reports violations.
pub(crate) trait Eval {
    /// One token and where it starts.
    fn token(&mut self, token: &Token<'_>, pos: Pos, findings: &mut dyn Findings);
}

/// The evaluation of the document outside its records.
pub(crate) trait RootEval<I>: Eval {
    /// At the start of a record: Some(what the record is checked against) when the record
    /// can be checked on its own (its tokens are then not fed here), None when this
    /// evaluation needs to see it.
    fn detach_item(&mut self) -> Option<I>;
}

/// A compiled schema.
pub(crate) trait Validator: Sync {
    /// False when records are checked against no schema (only read as JSON).
    const SCHEMA: bool = true;
    /// What a detached record is checked against.
    type Item: Send + Sync + 'static;
    /// The root evaluation.
    type Root: RootEval<Self::Item>;
    /// A record's evaluation.
    type ItemEval: Eval;
    /// A new root evaluation.
    fn root(&self, show_values: bool) -> Self::Root;
    /// An evaluation of one record whose JSON Pointer is `pointer`.
    fn item(&self, item: &Self::Item, pointer: &str, show_values: bool) -> Self::ItemEval;
    /// Makes `eval` (an earlier record's) the evaluation of another record, as
    /// [`item`](Self::item) would, reusing what it holds.
    fn reuse_item(
        &self,
        eval: &mut Self::ItemEval,
        item: &Self::Item,
        pointer: &str,
        show_values: bool,
    ) {
        *eval = self.item(item, pointer, show_values);
    }
    /// True when `record` (one whole record's bytes) is JSON that passes with no finding,
    /// decided without tokens; false when it must be evaluated token by token (which
    /// finds and locates what is wrong) — always, unless a validator has a quick check.
    fn passes(&self, _: &Self::Item, _: &[u8], _: usize, _: &mut QuickState) -> bool {
        false
    }
    /// Schema keywords that are not checked (reported as ignored).
    fn ignored(&self) -> Vec<String>;
}

/// No schema: records are counted and given to the record checks only.
pub(crate) struct NoSchema;

impl Eval for NoSchema {
    fn token(&mut self, _: &Token<'_>, _: Pos, _: &mut dyn Findings) {}
}

impl RootEval<()> for NoSchema {
    fn detach_item(&mut self) -> Option<()> {
        Some(())
    }
}

impl Validator for NoSchema {
    const SCHEMA: bool = false;
    type Item = ();
    type Root = Self;
    type ItemEval = Self;
    fn root(&self, _: bool) -> Self {
        Self
    }
    fn item(&self, (): &(), _: &str, _: bool) -> Self {
        Self
    }
    fn passes(
        &self,
        (): &(),
        record: &[u8],
        max_token_bytes: usize,
        state: &mut QuickState,
    ) -> bool {
        passes_syntax(record, max_token_bytes, state)
    }
    fn ignored(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A compiled JSON Schema, as the driver uses it.
pub(crate) struct SchemaRef<'s>(pub(crate) &'s JsonSchema);

impl Eval for Evaluator<'_> {
    fn token(&mut self, token: &Token<'_>, pos: Pos, findings: &mut dyn Findings) {
        Evaluator::token(self, token, pos, findings);
    }
}

impl RootEval<ItemSchemas> for Evaluator<'_> {
    fn detach_item(&mut self) -> Option<ItemSchemas> {
        Evaluator::detach_item(self)
    }
}

impl<'s> Validator for SchemaRef<'s> {
    type Item = ItemSchemas;
    type Root = Evaluator<'s>;
    type ItemEval = Evaluator<'s>;
    fn root(&self, show_values: bool) -> Evaluator<'s> {
        Evaluator::new(self.0, show_values)
    }
    fn item(&self, item: &ItemSchemas, pointer: &str, show_values: bool) -> Evaluator<'s> {
        Evaluator::for_item(self.0, item, pointer, show_values)
    }
    fn reuse_item(
        &self,
        eval: &mut Evaluator<'s>,
        item: &ItemSchemas,
        pointer: &str,
        show_values: bool,
    ) {
        eval.reuse_for_item(item, pointer, show_values);
    }
    fn passes(
        &self,
        item: &ItemSchemas,
        record: &[u8],
        max_token_bytes: usize,
        state: &mut QuickState,
    ) -> bool {
        self.0.passes(item, record, max_token_bytes, state)
    }
    fn ignored(&self) -> Vec<String> {
        self.0.ignored().iter().map(ToString::to_string).collect()
    }
}
