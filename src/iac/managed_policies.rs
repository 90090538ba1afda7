//! AWS-managed policies a template may attach by ARN (`ManagedPolicyArns`,
//! `PermissionsBoundary`): their documents as AWS publishes them, for the short ones. Any other
//! AWS-managed ARN is an open value (its document is not known here).

/// The document of an AWS-managed policy, by name (`arn:aws:iam::aws:policy/NAME`).
pub fn document(name: &str) -> Option<&'static str> {
    Some(match name {
        "AdministratorAccess" => {
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#
        }
        "PowerUserAccess" => {
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}, {"Effect": "Allow", "Action": ["account:GetAccountInformation", "account:GetPrimaryEmail", "account:ListRegions", "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization"], "Resource": "*"}]}"#
        }
        "AWSKeyManagementServicePowerUser" => {
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:CreateAlias", "kms:CreateKey", "kms:DeleteAlias", "kms:Describe*", "kms:GenerateRandom", "kms:Get*", "kms:List*", "kms:TagResource", "kms:UntagResource", "iam:ListGroups", "iam:ListRoles", "iam:ListUsers"], "Resource": "*"}]}"#
        }
        "IAMReadOnlyAccess" => {
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails", "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy"], "Resource": "*"}]}"#
        }
        "AWSDenyAll" => {
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#
        }
        _ => return None,
    })
}

/// The name of an AWS-managed policy ARN (`arn:PARTITION:iam::aws:policy/[PATH/]NAME`).
pub fn aws_managed_name(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (_, rest) = rest.split_once(":iam::aws:policy/")?;
    Some(rest.rsplit('/').next().unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    #[test]
    fn documents_parse_and_names_split() {
        for n in [
            "AdministratorAccess",
            "PowerUserAccess",
            "AWSKeyManagementServicePowerUser",
            "IAMReadOnlyAccess",
            "AWSDenyAll",
        ] {
            let d: serde_json::Value = serde_json::from_str(super::document(n).unwrap()).unwrap();
            assert_eq!(d["Version"], "2012-10-17");
        }
        assert_eq!(
            super::aws_managed_name("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"),
            Some("ViewOnlyAccess")
        );
        assert_eq!(
            super::aws_managed_name("arn:aws:iam::111122223333:policy/x"),
            None
        );
    }
}
