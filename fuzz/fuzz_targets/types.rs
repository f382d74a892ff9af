// Types the fuzzers decode against: the first input byte picks one.
use tfplugin::Type;

pub fn pick(selector: u8) -> Type {
    let obj = |pairs: &[(&str, Type)]| Type::Object(pairs.iter().map(|(k, t)| (k.to_string(), t.clone())).collect());
    let block = obj(&[("target_group_arn", Type::String)]);
    match selector % 8 {
        0 => Type::String,
        1 => Type::Number,
        2 => Type::List(Box::new(Type::String)),
        3 => Type::Map(Box::new(Type::Number)),
        4 => Type::Set(Box::new(block.clone())),
        5 => Type::Dynamic,
        6 => Type::Tuple(vec![Type::Bool, Type::String, Type::Dynamic]),
        // The shape of a release's state.
        _ => obj(&[
            ("id", Type::String),
            ("cluster", Type::String),
            ("standby_traffic_percent", Type::Number),
            ("blue", Type::List(Box::new(block.clone()))),
            ("promotion", Type::List(Box::new(obj(&[("alarm_names", Type::List(Box::new(Type::String))), ("rollback_on_failure", Type::Bool)])))),
        ]),
    }
}
