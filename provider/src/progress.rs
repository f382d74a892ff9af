//! Where progress lines go while a release waits (the gate, a bake, a lifecycle hook):
//! shared by the gate and the switch, so that neither imports the other for it.

/// Where progress lines go: an action streams them to Terraform; the resource passes
/// none (its progress is in the provider log).
pub type Reporter<'a> = Option<&'a (dyn Fn(String) + Send + Sync)>;
