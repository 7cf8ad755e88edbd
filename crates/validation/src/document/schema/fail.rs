//! What a failing keyword reports: its rule (the keyword's schema path) and a message that
//! says what was expected, never the instance's value.

use super::node::{Additional, Node, Rule, types};

/// One failing keyword of a node.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fail<'n> {
    False,
    Type,
    Enum,
    Const,
    MinLength,
    MaxLength,
    Pattern,
    Format,
    Minimum,
    Maximum,
    ExclusiveMinimum,
    ExclusiveMaximum,
    MultipleOf,
    MinItems,
    MaxItems,
    UniqueItems,
    AdditionalItems,
    Contains,
    Required(&'n str),
    /// A `dependencies` entry's rule, the missing property and the present one.
    Dependency(&'n Rule, &'n str, &'n str),
    AdditionalProperties,
    MinProperties,
    MaxProperties,
    AnyOf,
    /// How many branches passed.
    OneOf(usize),
    Not,
}

fn forbidden(a: Option<&Additional>) -> Option<&Rule> {
    match a {
        Some(Additional::Forbidden(rule)) => Some(rule),
        _ => None,
    }
}

impl<'n> Fail<'n> {
    /// The failing keyword's rule; the node's own path for a `false` schema.
    pub(super) fn rule(self, node: &'n Node) -> &'n Rule {
        let rule = match self {
            Self::False => None,
            Self::Type => node.types.as_ref().map(|k| &k.rule),
            Self::Enum => node.enumeration.as_ref().map(|k| &k.rule),
            Self::Const => node.constant.as_ref().map(|k| &k.rule),
            Self::MinLength => node.min_length.as_ref().map(|k| &k.rule),
            Self::MaxLength => node.max_length.as_ref().map(|k| &k.rule),
            Self::Pattern => node.pattern.as_ref().map(|k| &k.rule),
            Self::Format => node.format.as_ref().map(|k| &k.rule),
            Self::Minimum => node.minimum.as_ref().map(|k| &k.rule),
            Self::Maximum => node.maximum.as_ref().map(|k| &k.rule),
            Self::ExclusiveMinimum => node.exclusive_minimum.as_ref().map(|k| &k.rule),
            Self::ExclusiveMaximum => node.exclusive_maximum.as_ref().map(|k| &k.rule),
            Self::MultipleOf => node.multiple_of.as_ref().map(|k| &k.rule),
            Self::MinItems => node.min_items.as_ref().map(|k| &k.rule),
            Self::MaxItems => node.max_items.as_ref().map(|k| &k.rule),
            Self::UniqueItems => node.unique_items.as_ref(),
            Self::AdditionalItems => forbidden(node.additional_items.as_ref()),
            Self::Contains => node.contains.as_ref().map(|k| &k.rule),
            Self::Required(_) => node.required.as_ref().map(|k| &k.rule),
            Self::Dependency(rule, ..) => Some(rule),
            Self::AdditionalProperties => forbidden(node.additional_properties.as_ref()),
            Self::MinProperties => node.min_properties.as_ref().map(|k| &k.rule),
            Self::MaxProperties => node.max_properties.as_ref().map(|k| &k.rule),
            Self::AnyOf => node.any_of.as_ref().map(|k| &k.rule),
            Self::OneOf(_) => node.one_of.as_ref().map(|k| &k.rule),
            Self::Not => node.not.as_ref().map(|k| &k.rule),
        };
        rule.unwrap_or(&node.path)
    }

    /// What was expected.
    pub(super) fn message(self, node: &Node) -> String {
        let n = |k: &Option<super::node::Kw<u64>>| k.as_ref().map_or(0, |k| k.value);
        let plural = |count: u64, what: &str| match (count, what) {
            (1, _) => format!("1 {what}"),
            (_, "property") => format!("{count} properties"),
            _ => format!("{count} {what}s"),
        };
        match self {
            Self::False => "no value is allowed here (false schema)".to_owned(),
            Self::Type => {
                let mask = node.types.as_ref().map_or(0, |k| k.value);
                let names: Vec<&str> = types::NAMES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, n)| *n)
                    .collect();
                format!("expected type {}", names.join(" or "))
            }
            Self::Enum => "not one of the allowed values".to_owned(),
            Self::Const => "not the required constant value".to_owned(),
            Self::MinLength => format!("shorter than {}", plural(n(&node.min_length), "character")),
            Self::MaxLength => format!("longer than {}", plural(n(&node.max_length), "character")),
            Self::Pattern => {
                format!(
                    "does not match pattern {:?}",
                    node.pattern.as_ref().map_or("", |k| k.value.as_str())
                )
            }
            Self::Format => format!(
                "not a valid {}",
                node.format.as_ref().map_or("", |k| k.value.name())
            ),
            Self::Minimum => "less than the minimum".to_owned(),
            Self::Maximum => "greater than the maximum".to_owned(),
            Self::ExclusiveMinimum => "less than or equal to the exclusive minimum".to_owned(),
            Self::ExclusiveMaximum => "greater than or equal to the exclusive maximum".to_owned(),
            Self::MultipleOf => "not a multiple of the required divisor".to_owned(),
            Self::MinItems => format!("fewer than {}", plural(n(&node.min_items), "item")),
            Self::MaxItems => format!("more than {}", plural(n(&node.max_items), "item")),
            Self::UniqueItems => "has non-unique elements".to_owned(),
            Self::AdditionalItems => "additional items are not allowed".to_owned(),
            Self::Contains => "no element matches the `contains` schema".to_owned(),
            Self::Required(name) => format!("required property {name:?} is missing"),
            Self::Dependency(_, each, property) => {
                format!("property {each:?} is required when {property:?} is present")
            }
            Self::AdditionalProperties => "additional properties are not allowed".to_owned(),
            Self::MinProperties => {
                format!("fewer than {}", plural(n(&node.min_properties), "property"))
            }
            Self::MaxProperties => {
                format!("more than {}", plural(n(&node.max_properties), "property"))
            }
            Self::AnyOf => "not valid under any of the given schemas (anyOf)".to_owned(),
            Self::OneOf(0) => "not valid under any of the given schemas (oneOf)".to_owned(),
            Self::OneOf(_) => "valid under more than one of the given schemas (oneOf)".to_owned(),
            Self::Not => "must not be valid under the `not` schema".to_owned(),
        }
    }
}
