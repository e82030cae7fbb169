// What is in a bucket, read with an S3 client that is not the app's (boto3, through s3tool.py),
// and what a zip file holds: the end-to-end tests compare the app's work with both, byte for byte.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Every object under `prefix` in the bucket of `server` (moto or Garage, as servers.mjs starts
 * them), by key: its `bytes` (a Buffer), `etag` and `lastModified`.
 */
export function objectsIn(server, prefix) {
  const out = execFileSync(
    "python3",
    [path.join(here, "s3tool.py"), server.endpoint, server.accessKeyId, server.secretAccessKey, server.bucket, "objects", prefix],
    { encoding: "utf8", env: { ...process.env, S3TOOL_REGION: server.region ?? "us-east-1" }, maxBuffer: 256 * 1024 * 1024 },
  );
  return Object.fromEntries(
    Object.entries(JSON.parse(out)).map(([key, o]) => [
      key,
      { bytes: Buffer.from(o.base64, "base64"), etag: o.etag, lastModified: o.last_modified },
    ]),
  );
}

/** Every entry of the zip `file` with its bytes, by name (Python's zipfile reads it). */
export function zipContents(file) {
  const script =
    "import base64, json, sys, zipfile\n" +
    "z = zipfile.ZipFile(sys.argv[1])\n" +
    "print(json.dumps({n: base64.b64encode(z.read(n)).decode('ascii') for n in z.namelist()}))";
  const out = execFileSync("python3", ["-c", script, file], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  return Object.fromEntries(Object.entries(JSON.parse(out)).map(([name, b64]) => [name, Buffer.from(b64, "base64")]));
}

/** The project's files under `prefix` (its record left out), by path inside the project. */
export function projectFilesIn(server, prefix) {
  return Object.fromEntries(
    Object.entries(objectsIn(server, prefix))
      .filter(([key]) => !key.startsWith(`${prefix}.bucketforge/`))
      .map(([key, object]) => [key.slice(prefix.length), object]),
  );
}

/**
 * Fails unless every file of `before` (from `projectFilesIn`) is in `after` as it was: the same
 * bytes, ETag and time, so nothing wrote it again.
 */
export function assertKept(before, after) {
  for (const [file, was] of Object.entries(before)) {
    const now = after[file];
    assert.ok(now, `${file} was in the bucket before the resume and is gone after it`);
    assert.equal(now.etag, was.etag, `${file}: its ETag changed, so it was written again`);
    assert.equal(now.lastModified, was.lastModified, `${file}: written again`);
    assert.deepEqual(now.bytes, was.bytes, `${file}: its bytes changed`);
  }
}
