//! Records checked apart from the document: the schemas of an array element detached to
//! another evaluator (a worker), and one evaluator reused for all of a worker's records.

use std::sync::Arc;

use super::JsonSchema;
use super::eval::{Evaluator, REPORT};
use super::node::{ItemSchemas, Items};

/// How many entries a reused evaluator's `uniqueItems` set keeps room for.
const KEPT_SET_CAPACITY: usize = 4096;

impl<'s> Evaluator<'s> {
    /// Validates one array element detached by [`detach_item`](Self::detach_item), whose
    /// JSON Pointer is `pointer`.
    pub(crate) fn for_item(
        schema: &'s JsonSchema,
        items: &ItemSchemas,
        pointer: &str,
        show_values: bool,
    ) -> Self {
        Self::with_roots(schema, items.nodes.clone(), pointer.to_owned(), show_values)
    }

    /// Makes this evaluator (of an earlier record) one for another detached element, as
    /// [`for_item`](Self::for_item) would, keeping its buffers' memory: a worker checks
    /// many small records, and one allocation per stack and record was a tenth of its time.
    pub(crate) fn reuse_for_item(&mut self, items: &ItemSchemas, pointer: &str, show_values: bool) {
        // Every field named, so a new one cannot be left out of the reset.
        let Self {
            nodes: _,
            show_values: shown,
            roots,
            prefix,
            complete,
            frames,
            apps,
            cells,
            combos,
            bits,
            held,
            keys,
            sets,
            sets_used,
            scratch: _,
            last_detached,
        } = self;
        if !Arc::ptr_eq(roots, &items.nodes) {
            *roots = items.nodes.clone();
        }
        prefix.clear();
        prefix.push_str(pointer);
        *shown = show_values;
        *complete = false;
        frames.clear();
        apps.clear();
        cells.clear();
        combos.clear();
        bits.clear();
        held.clear();
        keys.clear();
        // A record cut short by a syntax error may have left sets in use; and one huge
        // array must not keep its table for the rest of the run.
        for set in sets.iter_mut() {
            set.clear();
            set.shrink_to(KEPT_SET_CAPACITY);
        }
        *sets_used = 0;
        *last_detached = None;
    }

    /// Called inside an array before the token that starts its next element: `Some` when
    /// the element can be validated by another evaluator ([`for_item`](Self::for_item)),
    /// then the element is counted here and its tokens must not be fed. `None` when this
    /// evaluator needs them (a schema on the array is inside a combinator branch, checks
    /// `uniqueItems` or `contains`, has tuple `items`, or a value around needs hashing).
    pub(crate) fn detach_item(&mut self) -> Option<ItemSchemas> {
        let frame = self.frames.last()?;
        if frame.object || frame.hashing || frame.set.is_some() {
            return None;
        }
        let apps = &self.apps[frame.apps_start..frame.apps_end];
        // Compared with the last element's schemas as they are found: nearly every element
        // of an array has the same ones, and then nothing is allocated.
        let last = self.last_detached.as_ref().map(|l| &*l.nodes);
        let (mut count, mut same) = (0, last.is_some());
        for app in apps {
            let node = &self.nodes[app.node as usize];
            if app.sink != REPORT || node.contains.is_some() || node.unique_items.is_some() {
                return None;
            }
            match node.items {
                Items::Any => {}
                Items::All(child) => {
                    same = same && last.and_then(|l| l.get(count)) == Some(&child);
                    count += 1;
                }
                Items::Tuple(_) => return None,
            }
        }
        let reuse = same && last.is_some_and(|l| l.len() == count);
        let nodes = (!reuse).then(|| {
            apps.iter()
                .filter_map(|app| match self.nodes[app.node as usize].items {
                    Items::All(child) => Some(child),
                    _ => None,
                })
                .collect()
        });
        if let Some(frame) = self.frames.last_mut() {
            frame.index += 1;
        }
        if let Some(nodes) = nodes {
            self.last_detached = Some(ItemSchemas { nodes });
        }
        self.last_detached.clone()
    }
}
