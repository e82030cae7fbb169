// Starts tauri-driver and opens WebDriver sessions on the built BucketForge binary.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Builder, By, until } from "selenium-webdriver";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const APPLICATION =
  process.env.BUCKETFORGE_APP ?? path.join(root, "target", "release", "bucketforge");
export const ARTIFACTS = path.join(root, "artifacts", "e2e");

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts tauri-driver on `port` (WebKitWebDriver on `port + 1`) with extra environment for the
 * app; resolves once it listens.
 */
export async function startDriver({ port = 4444, env = {} } = {}) {
  const args = ["--port", String(port), "--native-port", String(port + 1)];
  const child = spawn("tauri-driver", args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  for (let i = 0; i < 100; i++) {
    if (await portOpen(port)) return { child, port, stop: () => stop(child, exited) };
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error("tauri-driver did not start listening within 10 s");
}

async function stop(child, exited) {
  if (child.exitCode === null) child.kill("SIGTERM");
  await exited;
}

/** A WebDriver session on the BucketForge window. */
export async function openApp(driver) {
  return new Builder()
    .usingServer(`http://127.0.0.1:${driver.port}/`)
    .withCapabilities({ browserName: "wry", "tauri:options": { application: APPLICATION } })
    .build();
}

export async function screenshot(session, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  writeFileSync(file, await session.takeScreenshot(), "base64");
  return file;
}

export async function heading(session) {
  const h1 = await session.wait(until.elementLocated(By.css("main h1")), 10_000);
  return h1.getText();
}

export { By, until };
