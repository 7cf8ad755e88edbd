//! Refuses schemas whose `$ref`s recurse without reaching a value: a cycle of subschemas
//! that all apply to the same instance (`$ref`, `allOf`, `anyOf`, `oneOf`, `not`,
//! `if`/`then`/`else`, schema `dependencies`) would never end.

use super::error::SchemaError;
use super::node::{DependencyKind, Node, NodeId};

/// The nodes applied to the same instance as `node`.
fn same_instance(node: &Node) -> impl Iterator<Item = NodeId> + '_ {
    let combinators = [&node.any_of, &node.one_of]
        .into_iter()
        .flatten()
        .flat_map(|kw| kw.value.iter().copied());
    let conditional = node
        .conditional
        .iter()
        .flat_map(|c| [Some(c.condition), c.then, c.otherwise])
        .flatten();
    let dependencies = node.dependencies.iter().filter_map(|d| match d.then {
        DependencyKind::Schema(id) => Some(id),
        DependencyKind::Required(..) => None,
    });
    node.reference
        .into_iter()
        .chain(node.all_of.iter().copied())
        .chain(combinators)
        .chain(node.not.as_ref().map(|kw| kw.value))
        .chain(conditional)
        .chain(dependencies)
}

/// Fails on the first same-instance cycle, naming a schema on it.
pub(super) fn check(nodes: &[Node]) -> Result<(), SchemaError> {
    // 0: not visited, 1: on the current path, 2: done.
    let mut state = vec![0u8; nodes.len()];
    let mut stack: Vec<(NodeId, Vec<NodeId>, usize)> = Vec::new();
    for start in 0..nodes.len() {
        if state[start] != 0 {
            continue;
        }
        state[start] = 1;
        let Ok(id) = NodeId::try_from(start) else {
            break;
        };
        stack.push((id, same_instance(&nodes[start]).collect(), 0));
        while let Some((id, next, i)) = stack.last_mut() {
            if let Some(&child) = next.get(*i) {
                *i += 1;
                match state[child as usize] {
                    0 => {
                        state[child as usize] = 1;
                        stack.push((child, same_instance(&nodes[child as usize]).collect(), 0));
                    }
                    1 => {
                        return Err(SchemaError::RefCycle {
                            path: nodes[child as usize].path.to_string(),
                        });
                    }
                    _ => {}
                }
            } else {
                state[*id as usize] = 2;
                stack.pop();
            }
        }
    }
    Ok(())
}
