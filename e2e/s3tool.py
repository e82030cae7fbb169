"""An S3 client independent of the app (boto3, which moto brings), for the end-to-end tests.

Usage: s3tool.py ENDPOINT KEY_ID SECRET BUCKET (create|list PREFIX|get KEY)
Prints JSON on stdout.
"""
import json
import sys

import boto3


def client(endpoint, key_id, secret):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def main():
    endpoint, key_id, secret, bucket, command, *args = sys.argv[1:]
    s3 = client(endpoint, key_id, secret)
    if command == "create":
        s3.create_bucket(Bucket=bucket)
    elif command == "list":
        keys, token = [], None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = s3.list_objects_v2(Bucket=bucket, Prefix=args[0], **extra)
            keys += [o["Key"] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                break
            token = page["NextContinuationToken"]
        print(json.dumps(keys))
    elif command == "get":
        body = s3.get_object(Bucket=bucket, Key=args[0])["Body"].read()
        print(json.dumps(body.decode("utf-8")))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
