"""Makes a moto server check signatures for real: an IAM user with S3 rights, its access key,
and a bucket. moto must run with INITIAL_NO_AUTH_ACTION_COUNT=4 (the four IAM calls below).

Usage: moto_setup.py ENDPOINT BUCKET  -> {"access_key_id": ..., "secret_access_key": ...}
"""
import json
import sys

import boto3

endpoint, bucket = sys.argv[1:]
anonymous = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **anonymous)
iam.create_user(UserName="bucketforge-e2e")
policy = iam.create_policy(
    PolicyName="s3-all",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
)["Policy"]["Arn"]
iam.attach_user_policy(UserName="bucketforge-e2e", PolicyArn=policy)
key = iam.create_access_key(UserName="bucketforge-e2e")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket=bucket)
print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))
