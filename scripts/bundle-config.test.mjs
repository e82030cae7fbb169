// The installer settings check (scripts/bundle-config.mjs): the repository's tauri.conf.json
// passes for every target, and each rule refuses the config that breaks it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { appVersion, problems, ROOT } from "./bundle-config.mjs";

const config = () => JSON.parse(readFileSync(path.join(ROOT, "tauri.conf.json"), "utf8"));

/** The problems of the real config after `change`. */
function after(change) {
  const c = config();
  change(c);
  return problems(c);
}

describe("tauri.conf.json", () => {
  it("is valid for deb, rpm, appimage, msi and dmg", () => {
    assert.deepEqual(problems(config()), []);
    assert.match(appVersion(config()), /^\d+\.\d+\.\d+/);
  });

  it("is refused where the Tauri schema refuses it", () => {
    const found = after((c) => {
      c.bundle.targets = ["deb", "rpm", "appimage", "msi", "dmg", "exe"];
      c.app.windows[0].width = "wide";
    });
    assert.ok(found.some((p) => p.startsWith("/bundle/targets")), found.join("\n"));
    assert.ok(found.some((p) => p.startsWith("/app/windows/0/width")), found.join("\n"));
  });

  it("must name every installer", () => {
    assert.deepEqual(after((c) => (c.bundle.targets = ["deb", "rpm", "appimage", "dmg"])), ["bundle.targets leaves out msi"]);
    assert.deepEqual(after((c) => (c.bundle.targets = "all")), []);
  });

  it("keeps to msi's version limits", () => {
    assert.deepEqual(after((c) => (c.version = "256.0.0")), ["msi: the major version in “256.0.0” can't be greater than 255"]);
    assert.deepEqual(after((c) => (c.version = "1.0.0-beta.1")), [
      "msi: the version's pre-release “beta.1” must be a number no greater than 65535 (or set bundle.windows.wix.version)",
    ]);
    assert.deepEqual(after((c) => (c.version = "1.0.0-7")), []);
    assert.deepEqual(
      after((c) => {
        c.version = "1.0.0-beta.1";
        c.bundle.windows = { wix: { version: "1.0.0.1" } };
      }),
      [],
    );
  });

  it("needs the icon each installer uses, and icons that are what their names say", () => {
    assert.deepEqual(
      after((c) => (c.bundle.icon = c.bundle.icon.filter((i) => !i.endsWith(".ico")))),
      ["msi needs an .ico icon in bundle.icon"],
    );
    assert.deepEqual(after((c) => c.bundle.icon.push("icons/missing.png")), ["the icon icons/missing.png is missing"]);
    assert.deepEqual(
      after((c) => (c.bundle.icon = c.bundle.icon.filter((i) => !i.endsWith(".icns")))),
      [],
      "dmg builds its icon from the .png files when there is no .icns",
    );
    const renamed = after((c) => (c.bundle.icon = c.bundle.icon.map((i) => (i.endsWith(".ico") ? "icons/icon.icns" : i))));
    assert.ok(renamed.includes("msi needs an .ico icon in bundle.icon"), renamed.join("\n"));
  });

  it("keeps to the identifier, category and rpm rules", () => {
    assert.deepEqual(after((c) => (c.identifier = "app.bucketforge.app")), [
      "dmg: the identifier “app.bucketforge.app” can't end in .app, which macOS reads as an app bundle",
    ]);
    assert.deepEqual(after((c) => (c.bundle.category = "Developer Tools")), []);
    assert.deepEqual(after((c) => (c.bundle.category = "Robots")), ["bundle.category “Robots” is not one the installers know"]);
    assert.deepEqual(after((c) => (c.bundle.linux.rpm.release = "1-beta")), ["rpm: release “1-beta” may hold only letters, digits and . _ + ~"]);
  });

  it("carries the updater's public key, https address and signed versions", () => {
    assert.deepEqual(after((c) => (c.plugins.updater.pubkey = Buffer.from("untrusted comment: x\nnot a key").toString("base64"))), [
      "plugins.updater.pubkey is not a minisign public key as `tauri signer generate` writes it (base64 of the .pub file)",
    ]);
    assert.deepEqual(after((c) => (c.plugins.updater.endpoints = ["http://releases.example.com/latest.json"])), [
      "plugins.updater endpoint “http://releases.example.com/latest.json” must be https://",
    ]);
    assert.deepEqual(after((c) => delete c.plugins.updater.requireSignedVersion), [
      "plugins.updater.requireSignedVersion must be true: a download's signature names its version",
    ]);
  });
});
