//! Property tests of the matchers, the three-valued logic and the JSON reader.

use ekm_check::eval::{Context, Tri};
use ekm_check::json;
use ekm_check::policy::condition::Condition;
use ekm_check::policy::pattern::{Pattern, Wild};
use ekm_check::policy::{Policy, PolicyKind};
use proptest::prelude::*;

fn plain() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9:/._-]{0,24}"
}

fn tri() -> impl Strategy<Value = Tri> {
    prop_oneof![Just(Tri::True), Just(Tri::False), Just(Tri::Unknown)]
}

proptest! {
    #[test]
    fn a_pattern_without_wildcards_matches_only_itself(p in plain(), t in plain()) {
        let ctx = Context::default();
        let pat = Pattern::new(&p, Wild::Yes, true);
        prop_assert_eq!(pat.matches(&t, &ctx).is_true(), p == t);
        prop_assert!(pat.matches(&p, &ctx).is_true());
    }

    #[test]
    fn star_suffix_is_a_prefix_test(p in plain(), t in plain()) {
        let ctx = Context::default();
        let pat = Pattern::new(&format!("{p}*"), Wild::Yes, true);
        prop_assert_eq!(pat.matches(&t, &ctx).is_true(), t.starts_with(&p));
    }

    #[test]
    fn question_mark_matches_exactly_one_character(p in plain(), c in "[a-z]", t in plain()) {
        let ctx = Context::default();
        let pat = Pattern::new(&format!("{p}?"), Wild::Yes, true);
        let one_more = format!("{p}{c}");
        prop_assert!(pat.matches(&one_more, &ctx).is_true());
        prop_assert!(!pat.matches(&p, &ctx).is_true());
        let two_more = format!("{p}{c}{c}");
        prop_assert!(!pat.matches(&two_more, &ctx).is_true());
        let _ = t;
    }

    #[test]
    fn star_in_the_middle_matches_any_infix(a in plain(), b in plain(), mid in plain()) {
        let ctx = Context::default();
        let pat = Pattern::new(&format!("{a}*{b}"), Wild::Yes, true);
        let text = format!("{a}{mid}{b}");
        prop_assert!(pat.matches(&text, &ctx).is_true());
    }

    #[test]
    fn not_action_is_the_complement_of_action(
        actions in proptest::collection::vec("kms:[A-Za-z*?]{1,8}", 1..4),
        action in "kms:[A-Za-z]{1,8}",
    ) {
        let doc = |elem: &str| {
            let v = serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", elem: actions, "Resource": "*"}]});
            Policy::from_value(&v, PolicyKind::Identity, "p")
        };
        let (a, n) = (doc("Action"), doc("NotAction"));
        let hit = |p: &Policy| p.statements[0].action.patterns.iter()
            .any(|x| x.matches(&action.to_ascii_lowercase(), &Context::default()).is_true());
        let a_matches = hit(&a) != a.statements[0].action.negated;
        let n_matches = hit(&n) != n.statements[0].action.negated;
        prop_assert_ne!(a_matches, n_matches);
    }

    #[test]
    fn negated_string_operators_are_complements_when_the_key_is_present(
        values in proptest::collection::vec(plain(), 1..4),
        v in plain(),
        like in any::<bool>(),
    ) {
        let (pos, neg) = if like { ("StringLike", "StringNotLike") } else { ("StringEquals", "StringNotEquals") };
        let mut ctx = Context::default();
        ctx.set("k", vec![v]);
        let c = |op: &str| Condition::new(op, "k", values.clone(), true, String::new(), Default::default());
        prop_assert_eq!(c(pos).eval(&ctx), !c(neg).eval(&ctx));
    }

    #[test]
    fn kleene_de_morgan(a in tri(), b in tri()) {
        prop_assert_eq!(!(a & b), !a | !b);
        prop_assert_eq!(!(a | b), !a & !b);
        prop_assert_eq!(a & Tri::True, a);
        prop_assert_eq!(a | Tri::False, a);
    }

    #[test]
    fn the_json_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = json::parse_bytes(&bytes);
    }

    #[test]
    fn the_json_reader_agrees_with_serde_json(text in "[\\[\\]{}\",:0-9a-z \\n.-]{0,60}") {
        let ours = json::parse(&text).map(|n| n.to_serde()).ok();
        let theirs = serde_json::from_str::<serde_json::Value>(&text).ok();
        prop_assert_eq!(ours, theirs);
    }
}
