// The real servers the end-to-end tests talk to: moto (checking signatures), the scripted LLM
// server, and an S3 client of their own to look at the bucket independently of the app.
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

/** moto's S3 server, checking signatures against an IAM user it creates, with one bucket. */
export async function startMoto(bucket = "bucketforge-e2e") {
  const port = await freePort();
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: "4" },
    stdio: "ignore",
  });
  await waitForPort(port);
  const endpoint = `http://127.0.0.1:${port}`;
  const keys = JSON.parse(
    execFileSync("python3", [path.join(here, "moto_setup.py"), endpoint, bucket], { encoding: "utf8" }),
  );
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

/** The scripted LLM server (the workspace's `scripted-llm` binary) answering `script`. */
export async function startScriptedLlm(script) {
  const dir = mkdtempSync(path.join(tmpdir(), "bf-llm-"));
  const file = path.join(dir, "script.json");
  writeFileSync(file, JSON.stringify(script));
  const binary = process.env.SCRIPTED_LLM ?? path.join(root, "target", "debug", "scripted-llm");
  const child = spawn(binary, ["--script", file, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const line = buffer.split("\n")[0];
      if (buffer.includes("\n")) resolve(line.trim());
    });
    child.once("exit", (code) => reject(new Error(`scripted-llm exited with ${code}`)));
  });
  return { url, openaiBaseUrl: `${url}/v1`, stop: stopper(child) };
}

/** A plan reply and one reply per file, in the scripted server's script format. */
export function projectScript({ name, stack = "react", files, apiKey, slowFiles = [], failing = {} }) {
  const plan = {
    name,
    summary: `${name}, generated for the end-to-end tests.`,
    stack,
    contract: "The App component renders the page.",
    files: Object.keys(files).map((p) => ({ path: p, purpose: `the ${p} file` })),
  };
  const replies = { plan: [{ text: JSON.stringify(plan) }] };
  for (const [p, text] of Object.entries(files)) {
    replies[`write ${p}`] = slowFiles.includes(p)
      ? [{ text, chunk_chars: 1, tokens_per_second: 4 }]
      : [{ text, chunk_chars: 16, tokens_per_second: 200 }];
  }
  Object.assign(replies, failing);
  return { api_key: apiKey, replies };
}
