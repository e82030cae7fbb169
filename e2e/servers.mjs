// The real servers the end-to-end tests talk to: moto, Garage (which checks signatures), the
// scripted LLM server, and an S3 client of their own to look at a bucket independently of the app.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function waitForPort(port, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.end();
        resolve();
      });
      socket.once("error", () => {
        if (Date.now() > deadline) reject(new Error(`nothing listened on port ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function stopper(child) {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  };
}

/**
 * Starts S3 servers with the workspace's `bucketforge-test-servers` binary, the start-up the
 * Rust tests use too, and resolves with the endpoints it prints. The binary stops its servers
 * when its stdin closes: on `stop()`, or when this process ends however it ends.
 */
async function startTestServers(which, bucket) {
  const binary = process.env.TEST_SERVERS ?? path.join(root, "target", "debug", "bucketforge-test-servers");
  const child = spawn(binary, [`--${which}`, "--bucket", bucket], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const endpoints = await new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      if (buffer.includes("\n")) resolve(JSON.parse(buffer.split("\n")[0]));
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`bucketforge-test-servers exited with ${code} before its servers were up`)));
  });
  const stop = async () => {
    child.stdin.end();
    await exited;
  };
  return { server: endpoints[which], stop };
}

/**
 * moto's S3 server with one bucket and keys of this run. (moto's IAM mode rejects even correct
 * signatures from the Rust AWS SDK, so moto here accepts any key; Garage is the server that
 * checks them.)
 */
export async function startMoto(bucket = "bucketforge-e2e") {
  const { server, stop } = await startTestServers("moto", bucket);
  const s3 = (...args) =>
    JSON.parse(
      execFileSync(
        "python3",
        [path.join(here, "s3tool.py"), server.endpoint, server.access_key_id, server.secret_access_key, bucket, ...args],
        { encoding: "utf8" },
      ),
    );
  return {
    endpoint: server.endpoint,
    bucket,
    accessKeyId: server.access_key_id,
    secretAccessKey: server.secret_access_key,
    /** Every key under `prefix`, read with an S3 client that is not the app's. */
    list: (prefix) => s3("list", prefix),
    /** One object's text. */
    get: (key) => s3("get", key),
    stop,
  };
}

/**
 * A single-node Garage with one bucket and one key of this run. Garage checks request
 * signatures (and the region, "garage") for real, so a wrong secret is refused as it would be
 * by any cloud bucket.
 */
export async function startGarage(bucket = "bucketforge-e2e") {
  const { server, stop } = await startTestServers("garage", bucket);
  return {
    endpoint: server.endpoint,
    region: server.region,
    bucket,
    accessKeyId: server.access_key_id,
    secretAccessKey: server.secret_access_key,
    stop,
  };
}

/**
 * The scripted LLM server (the workspace's `scripted-llm` binary) answering `script`, on
 * `port` (a free one by default; pass the old one to restart it with another script).
 */
export async function startScriptedLlm(script, port = 0) {
  const dir = mkdtempSync(path.join(tmpdir(), "bf-llm-"));
  const file = path.join(dir, "script.json");
  writeFileSync(file, JSON.stringify(script));
  const binary = process.env.SCRIPTED_LLM ?? path.join(root, "target", "debug", "scripted-llm");
  const child = spawn(binary, ["--script", file, "--port", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const line = buffer.split("\n")[0];
      if (buffer.includes("\n")) resolve(line.trim());
    });
    child.once("exit", (code) => reject(new Error(`scripted-llm exited with ${code}`)));
  });
  return { url, port: Number(new URL(url).port), openaiBaseUrl: `${url}/v1`, stop: stopper(child) };
}

/** A plan reply and one reply per file, in the scripted server's script format. */
export function projectScript({ name, stack = "react", contract = "The App component renders the page.", files, apiKey, slowFiles = [], replies: extra = {} }) {
  const plan = {
    name,
    summary: `${name}, generated for the end-to-end tests.`,
    stack,
    contract,
    files: Object.keys(files).map((p) => ({ path: p, purpose: `the ${p} file` })),
  };
  const replies = { plan: [{ text: JSON.stringify(plan) }] };
  for (const [p, text] of Object.entries(files)) {
    // A slow file takes about half a minute the first time it is asked for, then comes fast
    // (as after a Resume).
    replies[`write ${p}`] = slowFiles.includes(p)
      ? [{ text, chunk_chars: 1, tokens_per_second: Math.max(1, text.length / 30) }, { text, chunk_chars: 16 }]
      : [{ text, chunk_chars: 16, tokens_per_second: 200 }];
  }
  Object.assign(replies, extra);
  return { api_key: apiKey, replies };
}
