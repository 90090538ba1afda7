#!/usr/bin/env python3
"""Build OpenAI's EKM setup in a moto server (the AWS emulator) and print the environment for
`ekm-check check`:

    eval "$(.venv/bin/python scripts/moto-example.py http://127.0.0.1:5000)"

It creates a symmetric key with an alias, the permissions policy of step 2, and the role of step 3
(trusting OpenAI's principal with the ExternalId), exactly as OpenAI's instructions describe.
"""
import json
import sys

import boto3

endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
external_id = "org-AbCdEf0123456789GhIjKlMn"
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="test", aws_secret_access_key="test")
kms = boto3.client("kms", **kw)
iam = boto3.client("iam", **kw)

key = kms.create_key(Description="OpenAI EKM master key")["KeyMetadata"]
kms.create_alias(AliasName="alias/openai-ekm", TargetKeyId=key["KeyId"])
policy = iam.create_policy(PolicyName="openai-ekm-kms", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AllowEncryptDecrypt", "Effect": "Allow",
                   "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": key["Arn"]}]}))["Policy"]
role = iam.create_role(RoleName="openai-ekm", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow",
                   "Principal": {"AWS": "arn:aws:iam::790389265272:role/EnterpriseKeyManagement"},
                   "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"sts:ExternalId": [external_id]}}}]}))["Role"]
iam.attach_role_policy(RoleName="openai-ekm", PolicyArn=policy["Arn"])

print(f"export EKM_KMS_ARN={key['Arn']} EKM_ROLE_ARN={role['Arn']} EKM_EXTERNAL_ID={external_id}")
print(f"export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true")
