//! Principals: who makes a request, and the `Principal` / `NotPrincipal` entries that name them.

use std::fmt;

/// The principal making a request, parsed from its ARN (or account id, service name, `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`
    Session {
        arn: String,
        partition: String,
        account: String,
        role: String,
        session: String,
    },
    /// `arn:aws:iam::ACCT:role/PATH/NAME`
    Role {
        arn: String,
        partition: String,
        account: String,
        name: String,
        /// `/` or `/service-role/`…
        path: String,
    },
    /// `arn:aws:iam::ACCT:user/PATH/NAME`
    User {
        arn: String,
        partition: String,
        account: String,
        name: String,
    },
    /// `arn:aws:iam::ACCT:root` or a bare account id.
    Root { partition: String, account: String },
    /// Any other principal ARN (federated user, …), matched exactly.
    OtherArn {
        arn: String,
        partition: String,
        account: String,
    },
    /// `service.amazonaws.com`
    Service(String),
    /// An anonymous caller.
    Anonymous,
}

impl Principal {
    pub fn parse(s: &str) -> Result<Principal, String> {
        let s = s.trim();
        if s == "*" || s.eq_ignore_ascii_case("anonymous") {
            return Ok(Principal::Anonymous);
        }
        if is_account_id(s) {
            return Ok(Principal::Root {
                partition: "aws".into(),
                account: s.into(),
            });
        }
        if let Some(rest) = s.strip_prefix("arn:") {
            let Some([partition, service, _region, account, resource]) =
                super::pattern::split_n(rest, b':')
            else {
                return Err(format!("{s} is not an ARN"));
            };
            if !is_account_id(account) {
                return Err(format!("{s}: the account must be 12 digits"));
            }
            let (p, a) = (partition.to_string(), account.to_string());
            match service {
                "iam" => {
                    if resource == "root" {
                        return Ok(Principal::Root {
                            partition: p,
                            account: a,
                        });
                    }
                    if let Some(path_name) = resource.strip_prefix("role/") {
                        let name = last_segment(path_name);
                        if name.is_empty() {
                            return Err(format!("{s}: the role name is empty"));
                        }
                        let dirs = &path_name[..path_name.len() - name.len()];
                        let mut path = String::with_capacity(dirs.len() + 1);
                        path.push('/');
                        path.push_str(dirs);
                        return Ok(Principal::Role {
                            arn: s.into(),
                            partition: p,
                            account: a,
                            name: name.into(),
                            path,
                        });
                    }
                    if let Some(path_name) = resource.strip_prefix("user/") {
                        let name = last_segment(path_name);
                        return Ok(Principal::User {
                            arn: s.into(),
                            partition: p,
                            account: a,
                            name: name.into(),
                        });
                    }
                }
                "sts" => {
                    if let Some(rs) = resource.strip_prefix("assumed-role/") {
                        if let Some([role, session]) = super::pattern::split_n(rs, b'/') {
                            if !role.is_empty() && !session.is_empty() {
                                return Ok(Principal::Session {
                                    arn: s.into(),
                                    partition: p,
                                    account: a,
                                    role: role.into(),
                                    session: session.into(),
                                });
                            }
                        }
                        return Err(format!(
                            "{s}: an assumed-role ARN is arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION"
                        ));
                    }
                }
                _ => {}
            }
            return Ok(Principal::OtherArn {
                arn: s.into(),
                partition: p,
                account: a,
            });
        }
        if s.ends_with(".amazonaws.com") || s.ends_with(".amazonaws.com.cn") {
            return Ok(Principal::Service(s.to_ascii_lowercase()));
        }
        Err(format!(
            "{s} is not a principal: expected an ARN, a 12-digit account id, a service principal or *"
        ))
    }

    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::Session { account, .. }
            | Principal::Role { account, .. }
            | Principal::User { account, .. }
            | Principal::Root { account, .. }
            | Principal::OtherArn { account, .. } => Some(account),
            Principal::Service(_) | Principal::Anonymous => None,
        }
    }

    pub fn partition(&self) -> Option<&str> {
        match self {
            Principal::Session { partition, .. }
            | Principal::Role { partition, .. }
            | Principal::User { partition, .. }
            | Principal::Root { partition, .. }
            | Principal::OtherArn { partition, .. } => Some(partition),
            Principal::Service(_) | Principal::Anonymous => None,
        }
    }

    /// `aws:PrincipalArn`: for a role session, the role's ARN (path unknown: none).
    pub fn principal_arn(&self) -> Option<String> {
        let join = |parts: &[&str]| {
            let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
            parts.iter().for_each(|p| s.push_str(p));
            s
        };
        match self {
            Principal::Session {
                partition,
                account,
                role,
                ..
            } => Some(join(&[
                "arn:", partition, ":iam::", account, ":role/", role,
            ])),
            Principal::Role { arn, .. }
            | Principal::User { arn, .. }
            | Principal::OtherArn { arn, .. } => Some(arn.clone()),
            Principal::Root { .. } => {
                let mut s = String::new();
                self.push_to(&mut s);
                Some(s)
            }
            Principal::Service(_) | Principal::Anonymous => None,
        }
    }

    /// Append the principal as it displays (without the formatting machinery: explanations
    /// name it on many lines).
    pub fn push_to(&self, out: &mut String) {
        match self {
            Principal::Session { arn, .. }
            | Principal::Role { arn, .. }
            | Principal::User { arn, .. }
            | Principal::OtherArn { arn, .. } => out.push_str(arn),
            Principal::Root { partition, account } => {
                for part in ["arn:", partition, ":iam::", account, ":root"] {
                    out.push_str(part);
                }
            }
            Principal::Service(s) => out.push_str(s),
            Principal::Anonymous => out.push_str("anonymous"),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.push_to(&mut s);
        f.write_str(&s)
    }
}

/// What follows the last `/` (all of `s` without one).
fn last_segment(s: &str) -> &str {
    match s.bytes().rposition(|b| b == b'/') {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// One entry of a policy's `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalPattern {
    /// `"*"` or `{"AWS": "*"}`: anyone, including anonymous callers. The policy grammar says a
    /// `*` principal id can only mean "everyone/anonymous", so `{"Service": "*"}`,
    /// `{"Federated": "*"}` and `{"CanonicalUser": "*"}` are read the same way (AWS documents
    /// only the first two forms; the others are flagged by the policy reader).
    Any,
    /// An account id or `arn:…:iam::ACCT:root`: delegates to the account.
    Account { partition: String, account: String },
    /// A role ARN: the role and all its sessions.
    Role {
        partition: String,
        account: String,
        name: String,
        path: String,
    },
    /// An assumed-role session ARN: that session only.
    Session {
        partition: String,
        account: String,
        role: String,
        session: String,
    },
    /// A user or other principal ARN, matched exactly.
    Arn(String),
    /// `{"Service": "…"}`
    Service(String),
    /// `{"Federated": "…"}` or `{"CanonicalUser": "…"}`, matched exactly.
    Other(String),
    /// A unique id such as `AROA…`: IAM shows these when the principal was deleted. Matches nothing.
    UniqueId(String),
    /// Not a valid principal (a partial wildcard, a malformed ARN). Matches nothing.
    Invalid { text: String, why: String },
}

/// How a principal entry matched the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalMatch {
    /// Delegation to the caller's account: identity policies must allow too.
    Account,
    /// The caller's role ARN: a direct grant, capped by the role's permissions boundary.
    Role,
    /// The caller's exact ARN (session, user, service) or `*`: a direct grant.
    Exact,
}

impl PrincipalPattern {
    /// Parse one entry under the given principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`).
    pub fn parse(kind: &str, s: &str) -> PrincipalPattern {
        let s_trim = s.trim();
        // reference_policies_grammar, principal_id_string: "you can use * only to specify
        // everyone/anonymous", whatever the principal type.
        if s_trim == "*" {
            return PrincipalPattern::Any;
        }
        match kind {
            "AWS" => {}
            "Service" => return PrincipalPattern::Service(s_trim.to_ascii_lowercase()),
            _ => return PrincipalPattern::Other(s_trim.to_string()),
        }
        if is_unique_id(s_trim) {
            return PrincipalPattern::UniqueId(s_trim.to_string());
        }
        if s_trim.contains('*') || s_trim.contains('?') {
            return PrincipalPattern::Invalid {
                text: s.to_string(),
                why: "wildcards are not allowed in a principal except \"*\" alone".into(),
            };
        }
        match Principal::parse(s_trim) {
            Ok(Principal::Root { partition, account }) => {
                PrincipalPattern::Account { partition, account }
            }
            Ok(Principal::Role {
                partition,
                account,
                name,
                path,
                ..
            }) => PrincipalPattern::Role {
                partition,
                account,
                name,
                path,
            },
            Ok(Principal::Session {
                partition,
                account,
                role,
                session,
                ..
            }) => PrincipalPattern::Session {
                partition,
                account,
                role,
                session,
            },
            Ok(Principal::User { arn, .. }) | Ok(Principal::OtherArn { arn, .. }) => {
                PrincipalPattern::Arn(arn)
            }
            Ok(Principal::Service(s)) => PrincipalPattern::Invalid {
                text: s.clone(),
                why: format!(
                    "a service principal goes under \"Service\", not \"AWS\": {{\"Service\": \"{s}\"}}"
                ),
            },
            Ok(Principal::Anonymous) => PrincipalPattern::Any,
            Err(why) => PrincipalPattern::Invalid {
                text: s.to_string(),
                why,
            },
        }
    }

    /// Does this entry name `p`, and how?
    pub fn matches(&self, p: &Principal) -> Option<PrincipalMatch> {
        match (self, p) {
            (PrincipalPattern::Any, _) => Some(PrincipalMatch::Exact),
            (PrincipalPattern::Account { partition, account }, _) => {
                (p.account() == Some(account.as_str()) && p.partition() == Some(partition))
                    .then_some(PrincipalMatch::Account)
            }
            // A role's ARN includes its path; a session's does not.
            (
                PrincipalPattern::Role {
                    partition,
                    account,
                    name,
                    path,
                },
                Principal::Role {
                    partition: pp,
                    account: pa,
                    name: pn,
                    path: ppath,
                    ..
                },
            ) => {
                (pp == partition && pa == account && pn.eq_ignore_ascii_case(name) && ppath == path)
                    .then_some(PrincipalMatch::Role)
            }
            (
                PrincipalPattern::Role {
                    partition,
                    account,
                    name,
                    ..
                },
                Principal::Session {
                    partition: pp,
                    account: pa,
                    role,
                    ..
                },
            ) => (pp == partition && pa == account && role.eq_ignore_ascii_case(name))
                .then_some(PrincipalMatch::Role),
            (
                PrincipalPattern::Session {
                    partition,
                    account,
                    role,
                    session,
                },
                Principal::Session {
                    partition: pp,
                    account: pa,
                    role: pr,
                    session: ps,
                    ..
                },
            ) => {
                (pp == partition && pa == account && pr.eq_ignore_ascii_case(role) && ps == session)
                    .then_some(PrincipalMatch::Exact)
            }
            (PrincipalPattern::Arn(a), Principal::User { arn, .. })
            | (PrincipalPattern::Arn(a), Principal::OtherArn { arn, .. }) => {
                (a == arn).then_some(PrincipalMatch::Exact)
            }
            (PrincipalPattern::Service(s), Principal::Service(ps)) => {
                (s == ps).then_some(PrincipalMatch::Exact)
            }
            _ => None,
        }
    }

    /// For `NotPrincipal`: is `p` itself (not its account) listed by this entry?
    /// A role ARN does not list the role's sessions here: AWS requires the session ARN.
    pub fn lists_entity(&self, p: &Principal) -> bool {
        match (self, p) {
            (PrincipalPattern::Role { .. }, Principal::Session { .. }) => false,
            (PrincipalPattern::Account { .. }, Principal::Root { .. }) => self.matches(p).is_some(),
            (PrincipalPattern::Account { .. }, _) => false,
            _ => self.matches(p).is_some(),
        }
    }

    /// For `NotPrincipal`: is `p`'s account listed by this entry? `*` lists every principal,
    /// and so every principal's account too: a Deny whose NotPrincipal is `*` spares everyone.
    pub fn lists_account(&self, p: &Principal) -> bool {
        match self {
            PrincipalPattern::Any => true,
            PrincipalPattern::Account { .. } => self.matches(p).is_some(),
            _ => false,
        }
    }
}

/// IAM unique ids: four upper-case letters (AROA, AIDA, AGPA, ANPA, …) and 16 or more characters.
pub fn is_unique_id(s: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "AROA", "AIDA", "AGPA", "ANPA", "ANVA", "ASIA", "AKIA", "AIPA",
    ];
    s.len() >= 16
        && PREFIXES.iter().any(|p| s.starts_with(p))
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_request_principals() {
        let s = Principal::parse(
            "arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service",
        )
        .unwrap();
        assert_eq!(s.account(), Some("111122223333"));
        assert_eq!(
            s.principal_arn().unwrap(),
            "arn:aws:iam::111122223333:role/openai-ekm"
        );
        assert!(matches!(
            Principal::parse("111122223333").unwrap(),
            Principal::Root { .. }
        ));
        assert!(Principal::parse("arn:aws:iam::1:role/x").is_err());
        assert!(Principal::parse("bob").is_err());
    }

    #[test]
    fn role_pattern_matches_role_and_sessions_but_not_for_not_principal() {
        let pat = PrincipalPattern::parse("AWS", "arn:aws:iam::111122223333:role/path/openai-ekm");
        let session =
            Principal::parse("arn:aws:sts::111122223333:assumed-role/openai-ekm/s").unwrap();
        assert_eq!(pat.matches(&session), Some(PrincipalMatch::Role));
        assert!(!pat.lists_entity(&session));
        let other = Principal::parse("arn:aws:sts::111122223333:assumed-role/other/s").unwrap();
        assert_eq!(pat.matches(&other), None);
        let acct = PrincipalPattern::parse("AWS", "111122223333");
        assert_eq!(acct.matches(&session), Some(PrincipalMatch::Account));
    }

    #[test]
    fn role_paths_count_for_roles_but_not_for_sessions() {
        let openai =
            Principal::parse("arn:aws:iam::790389265272:role/EnterpriseKeyManagement").unwrap();
        let with_path = PrincipalPattern::parse(
            "AWS",
            "arn:aws:iam::790389265272:role/service-role/EnterpriseKeyManagement",
        );
        assert_eq!(with_path.matches(&openai), None);
        let plain = PrincipalPattern::parse(
            "AWS",
            "arn:aws:iam::790389265272:role/EnterpriseKeyManagement",
        );
        assert_eq!(plain.matches(&openai), Some(PrincipalMatch::Role));
        let session =
            Principal::parse("arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/s")
                .unwrap();
        assert_eq!(with_path.matches(&session), Some(PrincipalMatch::Role));
    }

    #[test]
    fn unique_ids_and_partial_wildcards_match_nothing() {
        let u = PrincipalPattern::parse("AWS", "AROAEXAMPLEID1234567");
        assert!(matches!(u, PrincipalPattern::UniqueId(_)));
        let w = PrincipalPattern::parse("AWS", "arn:aws:iam::111122223333:role/*");
        assert!(matches!(w, PrincipalPattern::Invalid { .. }));
        let p = Principal::parse("arn:aws:iam::111122223333:role/x").unwrap();
        assert_eq!(u.matches(&p), None);
        assert_eq!(w.matches(&p), None);
    }

    #[test]
    fn a_star_lists_every_principal_and_its_account() {
        let callers = [
            "arn:aws:sts::111122223333:assumed-role/R/S",
            "arn:aws:iam::444455556666:user/bob",
            "111122223333",
            "sns.amazonaws.com",
            "*",
        ];
        for kind in ["AWS", "Service", "Federated", "CanonicalUser"] {
            let any = PrincipalPattern::parse(kind, "*");
            assert_eq!(any, PrincipalPattern::Any, "{kind}");
            for c in callers {
                let p = Principal::parse(c).unwrap();
                assert!(any.lists_entity(&p) && any.lists_account(&p), "{kind} {c}");
            }
        }
        let acct = PrincipalPattern::parse("AWS", "111122223333");
        let root = PrincipalPattern::parse("AWS", "arn:aws:iam::111122223333:root");
        assert_eq!(acct, root);
        let bob = Principal::parse("arn:aws:iam::111122223333:user/bob").unwrap();
        assert!(acct.lists_account(&bob) && !acct.lists_entity(&bob));
        let partial = PrincipalPattern::parse("AWS", "arn:aws:iam::*:root");
        assert!(!partial.lists_account(&bob) && !partial.lists_entity(&bob));
    }
}
