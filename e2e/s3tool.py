"""An S3 client independent of the app (boto3, which moto brings), for the end-to-end tests.

Usage: s3tool.py ENDPOINT KEY_ID SECRET BUCKET (create|list PREFIX|get KEY|objects PREFIX)
Prints JSON on stdout. The region is S3TOOL_REGION's, us-east-1 when unset.
"""
import base64
import json
import os
import sys

import boto3


def client(endpoint, key_id, secret):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ.get("S3TOOL_REGION", "us-east-1"),
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def keys_under(s3, bucket, prefix):
    keys, token = [], None
    while True:
        extra = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **extra)
        keys += [o["Key"] for o in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return keys
        token = page["NextContinuationToken"]


def main():
    endpoint, key_id, secret, bucket, command, *args = sys.argv[1:]
    s3 = client(endpoint, key_id, secret)
    if command == "create":
        s3.create_bucket(Bucket=bucket)
    elif command == "list":
        print(json.dumps(keys_under(s3, bucket, args[0])))
    elif command == "get":
        body = s3.get_object(Bucket=bucket, Key=args[0])["Body"].read()
        print(json.dumps(body.decode("utf-8")))
    elif command == "objects":
        # Every object under the prefix as the bucket keeps it: its bytes, ETag and time.
        objects = {}
        for key in keys_under(s3, bucket, args[0]):
            got = s3.get_object(Bucket=bucket, Key=key)
            objects[key] = {
                "etag": got["ETag"],
                "last_modified": got["LastModified"].isoformat(),
                "base64": base64.b64encode(got["Body"].read()).decode("ascii"),
            }
        print(json.dumps(objects))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
