//! Schemas as the provider declares them; converted to protocol messages by the server.

use crate::value::Type;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub deprecated: bool,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

impl Attribute {
    fn new(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute {
            name: name.to_string(),
            ty,
            description: description.to_string(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
        }
    }
    pub fn required(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute { required: true, ..Attribute::new(name, ty, description) }
    }
    pub fn optional(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute { optional: true, ..Attribute::new(name, ty, description) }
    }
    pub fn computed(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute { computed: true, ..Attribute::new(name, ty, description) }
    }
    /// Optional in configuration; when omitted the provider fills it in.
    pub fn optional_computed(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute { optional: true, computed: true, ..Attribute::new(name, ty, description) }
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
}

impl NestedBlock {
    /// A block written at most once (`promotion { ... }`), stored as a list of 0..1 objects.
    pub fn list_max_one(name: &str, block: Block) -> NestedBlock {
        NestedBlock { name: name.to_string(), block, nesting: Nesting::List, min_items: 0, max_items: 1 }
    }
    /// A block that must be written exactly once.
    pub fn list_exactly_one(name: &str, block: Block) -> NestedBlock {
        NestedBlock { name: name.to_string(), block, nesting: Nesting::List, min_items: 1, max_items: 1 }
    }
    /// A repeatable block (`hook { ... }` written 0..=max_items times), stored as a list.
    pub fn list(name: &str, block: Block, max_items: i64) -> NestedBlock {
        NestedBlock { name: name.to_string(), block, nesting: Nesting::List, min_items: 0, max_items }
    }
    pub fn single(name: &str, block: Block) -> NestedBlock {
        NestedBlock { name: name.to_string(), block, nesting: Nesting::Single, min_items: 0, max_items: 0 }
    }
}

impl Block {
    pub fn new(description: &str) -> Block {
        Block { description: description.to_string(), ..Block::default() }
    }
    pub fn attribute(mut self, a: Attribute) -> Block {
        self.attributes.push(a);
        self
    }
    pub fn block(mut self, b: NestedBlock) -> Block {
        self.blocks.push(b);
        self
    }

    /// The object type of this block's values, as Terraform encodes them.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> =
            self.attributes.iter().map(|a| (a.name.clone(), a.ty.clone())).collect();
        for b in &self.blocks {
            let inner = b.block.value_type();
            let ty = match b.nesting {
                Nesting::Single | Nesting::Group => inner,
                Nesting::List => Type::List(Box::new(inner)),
                Nesting::Set => Type::Set(Box::new(inner)),
                Nesting::Map => Type::Map(Box::new(inner)),
            };
            attrs.insert(b.name.clone(), ty);
        }
        Type::Object(attrs)
    }
}

/// A resource's identity: the few attributes that name one remote object
/// (Terraform 1.12+ `import { identity = {...} }`).
#[derive(Clone, Debug, Default)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

#[derive(Clone, Debug)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required_for_import: bool,
    pub optional_for_import: bool,
}

impl IdentitySchema {
    pub fn value_type(&self) -> Type {
        Type::Object(self.attributes.iter().map(|a| (a.name.clone(), a.ty.clone())).collect())
    }
}

/// A managed resource type: its schema and, optionally, its identity schema.
#[derive(Clone, Debug, Default)]
pub struct ResourceSchema {
    pub schema: Schema,
    pub identity: Option<IdentitySchema>,
}

/// An action (Terraform 1.14+ `action` blocks): the schema of its configuration.
#[derive(Clone, Debug, Default)]
pub struct ActionSchema {
    pub schema: Schema,
}

/// Everything the provider declares, fetched once at start-up. The fields for
/// Terraform 1.14+ (list resources, actions, generated configuration) stay empty
/// unless the provider declares them; older Terraform never sees them.
#[derive(Clone, Debug, Default)]
pub struct ProviderSchemas {
    pub provider: Schema,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, Schema>,
    /// Configuration schemas of the `list` blocks of `terraform query`, keyed by the
    /// managed resource type they enumerate (which must declare an identity schema).
    pub list_resources: BTreeMap<String, Schema>,
    pub actions: BTreeMap<String, ActionSchema>,
    /// Advertises the `GenerateResourceConfig` RPC (`terraform query -generate-config-out`).
    pub generate_resource_config: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_type_includes_nested_blocks_by_nesting_mode() {
        let b = Block::new("r")
            .attribute(Attribute::required("a", Type::String, ""))
            .block(NestedBlock::list_max_one("p", Block::new("").attribute(Attribute::optional("n", Type::Number, ""))))
            .block(NestedBlock::single("s", Block::new("")));
        let Type::Object(attrs) = b.value_type() else { panic!("object expected") };
        assert_eq!(attrs["a"], Type::String);
        assert_eq!(attrs["p"], Type::List(Box::new(Type::Object([("n".to_string(), Type::Number)].into()))));
        assert_eq!(attrs["s"], Type::Object(BTreeMap::new()));
    }
}
