// The real servers the end-to-end tests talk to: moto, Garage (which checks signatures), the
// scripted LLM server, and an S3 client of their own to look at a bucket independently of the app.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
 * moto's S3 server with one bucket. (moto's IAM mode rejects even correct signatures from the
 * Rust AWS SDK, so moto here accepts any key; Garage is the server that checks them.)
 */
export async function startMoto(bucket = "bucketforge-e2e") {
  const port = await freePort();
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  await waitForPort(port);
  const endpoint = `http://127.0.0.1:${port}`;
  const keys = { access_key_id: "AKIAE2EMOTOEXAMPLE", secret_access_key: "e2eMotoSecretKey0e2eMotoSecretKey0abcd" };
  execFileSync("python3", [path.join(here, "s3tool.py"), endpoint, keys.access_key_id, keys.secret_access_key, bucket, "create"]);
  const s3 = (...args) =>
    JSON.parse(
      execFileSync(
        "python3",
        [path.join(here, "s3tool.py"), endpoint, keys.access_key_id, keys.secret_access_key, bucket, ...args],
        { encoding: "utf8" },
      ),
    );
  return {
    endpoint,
    bucket,
    accessKeyId: keys.access_key_id,
    secretAccessKey: keys.secret_access_key,
    /** Every key under `prefix`, read with an S3 client that is not the app's. */
    list: (prefix) => s3("list", prefix),
    /** One object's text. */
    get: (key) => s3("get", key),
    stop: stopper(child),
  };
}

/**
 * A single-node Garage with one bucket and one key. Garage checks request signatures for
 * real, so a wrong secret is refused as it would be by any cloud bucket.
 */
export async function startGarage(bucket = "bucketforge-e2e") {
  const hex = (n) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const dir = mkdtempSync(path.join(tmpdir(), "bf-garage-"));
  const [s3Port, rpcPort] = [await freePort(), await freePort()];
  const config = path.join(dir, "garage.toml");
  writeFileSync(
    config,
    `metadata_dir = "${dir}/meta"
data_dir = "${dir}/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:${rpcPort}"
rpc_public_addr = "127.0.0.1:${rpcPort}"
rpc_secret = "${hex(32)}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:${s3Port}"
root_domain = ".s3.garage.localhost"
`,
  );
  const child = spawn("garage", ["-c", config, "server"], { stdio: "ignore" });
  await waitForPort(s3Port);
  await waitForPort(rpcPort);
  // The CLI talks to the node over RPC, which takes a moment to accept commands.
  const garage = async (...args) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        return execFileSync("garage", ["-c", config, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  const node = (await garage("node", "id", "-q")).trim().split("@")[0];
  await garage("layout", "assign", "-z", "dc1", "-c", "1G", node);
  await garage("layout", "apply", "--version", "1");
  await garage("bucket", "create", bucket);
  const accessKeyId = `GK${hex(12)}`;
  const secretAccessKey = hex(32);
  await garage("key", "import", "--yes", "-n", "e2e", accessKeyId, secretAccessKey);
  await garage("bucket", "allow", "--read", "--write", "--owner", bucket, "--key", accessKeyId);
  const stop = stopper(child);
  return {
    endpoint: `http://127.0.0.1:${s3Port}`,
    region: "garage",
    bucket,
    accessKeyId,
    secretAccessKey,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
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
export function projectScript({ name, stack = "react", files, apiKey, slowFiles = [], replies: extra = {} }) {
  const plan = {
    name,
    summary: `${name}, generated for the end-to-end tests.`,
    stack,
    contract: "The App component renders the page.",
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
