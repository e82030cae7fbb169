// Checks tauri.conf.json for every installer it names (deb, rpm, appimage, msi, dmg), including
// the ones this machine can't build: against the Tauri CLI's own JSON schema, then against what
// each bundler refuses at build time (rules from tauri-bundler 2.10: msi's version limits and
// .ico icon, dmg's .icns, the category list, the updater's key and address).
// `problems(config, root)` answers a list of sentences; empty means valid.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const TARGETS = ["deb", "rpm", "appimage", "msi", "dmg"];

/** Every spelling tauri-bundler's category.rs accepts, lower-cased with spaces and dashes removed. */
const CATEGORIES = new Set(
  (
    "actiongame actiongames adventuregame adventuregames arcadegame arcadegames boardgame boardgames business " +
    "cardgame cardgames casinogame casinogames developer developertool developertools development dicegame dicegames " +
    "education educationalgame educationalgames entertainment familygame familygames finance fitness game games " +
    "graphicdesign graphicsanddesign graphicsdesign healthcareandfitness healthcarefitness kidsgame kidsgames lifestyle " +
    "logicgame medical medicalsoftware music musicgame musicgames news photography productivity puzzlegame puzzlegames " +
    "racinggame racinggames reference roleplaying roleplayinggame roleplayinggames rpg simulationgame simulationgames " +
    "socialnetwork socialnetworking sports sportsgame sportsgames strategygame strategygames travel triviagame " +
    "triviagames utilities utility video weather wordgame wordgames"
  ).split(" "),
);

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

/** The app's version: tauri.conf.json's, or the root Cargo.toml's when it has none. */
export function appVersion(config, root = ROOT) {
  if (config.version) return config.version;
  const cargo = readFileSync(path.join(root, "Cargo.toml"), "utf8");
  return /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m.exec(cargo)?.[1] ?? null;
}

let validateSchema;
function schemaProblems(config) {
  if (!validateSchema) {
    // The schema is written for Rust's regex syntax ("\\:" in a pattern), not JavaScript's unicode mode;
    // its number formats (uint32, double) are Rust types the type checks already cover.
    const schema = JSON.parse(readFileSync(path.join(ROOT, "node_modules", "@tauri-apps", "cli", "config.schema.json"), "utf8"));
    validateSchema = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false }).compile(schema);
  }
  if (validateSchema(config)) return [];
  return validateSchema.errors.map((e) => `${e.instancePath || "the config"} ${e.message}${e.params?.additionalProperty ? ` (“${e.params.additionalProperty}”)` : ""}`);
}

/** The first bytes of `file` under `root`, or null when it can't be read. */
function head(root, file, bytes = 8) {
  try {
    return readFileSync(path.join(root, file)).subarray(0, bytes);
  } catch {
    return null;
  }
}

function iconProblems(config, root, targets) {
  const icons = config.bundle?.icon ?? [];
  const out = [];
  for (const icon of icons) {
    const bytes = head(root, icon);
    if (!bytes) {
      out.push(`the icon ${icon} is missing`);
      continue;
    }
    const magic = icon.endsWith(".png")
      ? bytes.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
      : icon.endsWith(".ico")
        ? bytes.subarray(0, 4).equals(Buffer.from([0, 0, 1, 0]))
        : icon.endsWith(".icns")
          ? bytes.subarray(0, 4).toString("latin1") === "icns"
          : true;
    if (!magic) out.push(`the icon ${icon} is not the kind of file its name says`);
  }
  if (targets.includes("msi") && !icons.some((i) => i.endsWith(".ico"))) out.push("msi needs an .ico icon in bundle.icon");
  if (targets.includes("dmg") && !icons.some((i) => i.endsWith(".icns") || i.endsWith(".png"))) {
    out.push("dmg needs an .icns (or .png) icon in bundle.icon");
  }
  if (targets.some((t) => ["deb", "rpm", "appimage"].includes(t)) && !icons.some((i) => i.endsWith(".png"))) {
    out.push("the Linux installers need .png icons in bundle.icon");
  }
  return out;
}

/** msi: WiX takes only numeric versions, major and minor ≤ 255, patch ≤ 65535 (tauri-bundler's validate_wix_version). */
function msiVersionProblems(version, wixVersion) {
  if (wixVersion) {
    const parts = wixVersion.split(".");
    if (parts.length < 3 || parts.length > 4 || parts.some((p) => !/^\d+$/.test(p))) {
      return [`msi: bundle.windows.wix.version “${wixVersion}” must be major.minor.patch[.build], numbers only`];
    }
    return limits(parts.map(Number), wixVersion);
  }
  const m = SEMVER.exec(version ?? "");
  if (!m) return [`the version “${version}” is not a semantic version (major.minor.patch)`];
  const out = limits([Number(m[1]), Number(m[2]), Number(m[3])], version);
  for (const [label, extra] of [
    ["pre-release", m[4]],
    ["build metadata", m[5]],
  ]) {
    if (extra !== undefined && !(/^\d+$/.test(extra) && Number(extra) <= 65535)) {
      out.push(`msi: the version's ${label} “${extra}” must be a number no greater than 65535 (or set bundle.windows.wix.version)`);
    }
  }
  return out;
}

function limits([major, minor, patch, build], shown) {
  const out = [];
  if (major > 255) out.push(`msi: the major version in “${shown}” can't be greater than 255`);
  if (minor > 255) out.push(`msi: the minor version in “${shown}” can't be greater than 255`);
  if (patch > 65535) out.push(`msi: the patch version in “${shown}” can't be greater than 65535`);
  if (build !== undefined && build > 65535) out.push(`msi: the build number in “${shown}” can't be greater than 65535`);
  return out;
}

/** The updater: a minisign public key, and addresses it will fetch. */
function updaterProblems(config) {
  const updater = config.plugins?.updater;
  if (!updater) return ["plugins.updater is missing: the app checks for updates with it"];
  const out = [];
  // Base64 decoding never throws: anything that isn't a key decodes to text that fails below.
  const lines = Buffer.from(updater.pubkey ?? "", "base64").toString("utf8").trim().split("\n");
  const raw = lines.length === 2 && lines[0].startsWith("untrusted comment:") ? Buffer.from(lines[1], "base64") : null;
  // minisign: "Ed", an 8-byte key ID, a 32-byte Ed25519 key.
  if (!raw || raw.length !== 42 || raw.subarray(0, 2).toString("latin1") !== "Ed") {
    out.push("plugins.updater.pubkey is not a minisign public key as `tauri signer generate` writes it (base64 of the .pub file)");
  }
  const endpoints = updater.endpoints ?? [];
  if (!endpoints.length) out.push("plugins.updater.endpoints names no address to check");
  for (const endpoint of endpoints) {
    if (!/^https:\/\//.test(endpoint)) out.push(`plugins.updater endpoint “${endpoint}” must be https://`);
  }
  if (updater.requireSignedVersion !== true) out.push("plugins.updater.requireSignedVersion must be true: a download's signature names its version");
  return out;
}

/** Everything wrong with `config` for `targets`, as sentences; empty when it is valid. */
export function problems(config, root = ROOT, targets = config.bundle?.targets ?? []) {
  const out = [...schemaProblems(config)];
  const list = targets === "all" ? TARGETS : Array.isArray(targets) ? targets : [targets];
  for (const target of TARGETS) {
    if (!list.includes(target)) out.push(`bundle.targets leaves out ${target}`);
  }
  const id = config.identifier ?? "";
  if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(id)) out.push(`the identifier “${id}” must be reverse-DNS: letters, digits and “-” between dots`);
  if (/\.app$/i.test(id)) out.push(`dmg: the identifier “${id}” can't end in .app, which macOS reads as an app bundle`);
  const version = appVersion(config, root);
  if (!SEMVER.test(version ?? "")) out.push(`the version “${version}” is not a semantic version (major.minor.patch)`);
  if (list.includes("msi")) out.push(...msiVersionProblems(version, config.bundle?.windows?.wix?.version));
  const category = config.bundle?.category;
  if (category && !CATEGORIES.has(category.toLowerCase().replace(/^public\.app-category\./, "").replace(/[ -]/g, ""))) {
    out.push(`bundle.category “${category}” is not one the installers know`);
  }
  if (!config.bundle?.shortDescription) out.push("deb and rpm need bundle.shortDescription");
  const release = config.bundle?.linux?.rpm?.release;
  if (release !== undefined && !/^[A-Za-z0-9._+~]+$/.test(release)) out.push(`rpm: release “${release}” may hold only letters, digits and . _ + ~`);
  out.push(...iconProblems(config, root, list));
  out.push(...updaterProblems(config));
  return out;
}

// `node scripts/bundle-config.mjs`: checks the repository's tauri.conf.json.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const config = JSON.parse(readFileSync(path.join(ROOT, "tauri.conf.json"), "utf8"));
  const found = problems(config);
  if (found.length) {
    console.error(`tauri.conf.json is not valid for every installer:\n  - ${found.join("\n  - ")}`);
    process.exit(1);
  }
  console.log(`tauri.conf.json is valid for ${TARGETS.join(", ")}.`);
}
