// Typical command answers for tests, built from the generated binding types.
import type { Manifest } from "../bindings/Manifest";
import type { ProjectDetails } from "../bindings/ProjectDetails";
import type { ProjectHistory } from "../bindings/ProjectHistory";
import type { ProjectListItem } from "../bindings/ProjectListItem";
import type { ProviderInfo } from "../bindings/ProviderInfo";
import type { Revision } from "../bindings/Revision";
import type { SettingsView } from "../bindings/SettingsView";
import type { StoragePreset } from "../bindings/StoragePreset";

export const PROVIDERS: ProviderInfo[] = [
  {
    kind: "openai",
    name: "OpenAI",
    default_base_url: "https://api.openai.com/v1",
    key_required: true,
    local: false,
    known_models: ["gpt-4.1", "gpt-4.1-mini"],
    env_var: "OPENAI_API_KEY",
  },
  {
    kind: "anthropic",
    name: "Anthropic",
    default_base_url: "https://api.anthropic.com",
    key_required: true,
    local: false,
    known_models: ["claude-sonnet-4-5"],
    env_var: "ANTHROPIC_API_KEY",
  },
  {
    kind: "ollama",
    name: "Ollama",
    default_base_url: "http://localhost:11434/v1",
    key_required: false,
    local: true,
    known_models: ["qwen2.5-coder"],
    env_var: null,
  },
  {
    kind: "lmstudio",
    name: "LM Studio",
    default_base_url: "http://localhost:1234/v1",
    key_required: false,
    local: true,
    known_models: [],
    env_var: null,
  },
  {
    kind: "custom",
    name: "Custom",
    default_base_url: null,
    key_required: false,
    local: false,
    known_models: [],
    env_var: null,
  },
];

export const PRESETS: StoragePreset[] = [
  {
    id: "r2",
    name: "Cloudflare R2",
    endpoint: "https://{account}.r2.cloudflarestorage.com",
    region: "auto",
    path_style: false,
    help: "Your account ID is on the R2 overview page.",
  },
  {
    id: "minio",
    name: "MinIO",
    endpoint: "http://localhost:9000",
    region: "us-east-1",
    path_style: true,
    help: "The address of your MinIO server.",
  },
];

type ViewOverrides = Partial<Omit<SettingsView, "settings" | "secrets">> & {
  settings?: Partial<SettingsView["settings"]>;
  secrets?: Partial<SettingsView["secrets"]>;
};

/** Settings that can generate: the built-in bucket and OpenAI with a saved key. */
export function settingsView(overrides: ViewOverrides = {}): SettingsView {
  const { settings, secrets, ...rest } = overrides;
  return {
    settings: {
      schema_version: 1,
      storage: {
        kind: "local",
        bucket: "",
        region: "",
        endpoint: "",
        path_style: false,
        access_key_id: "",
        aws_profile: "",
        preset: null,
      },
      user_id: null,
      llm: { provider: "openai", model: "", base_url: "" },
      concurrency: 6,
      onboarded: true,
      updates: { check_at_start: true, address: "" },
      ...settings,
    },
    secrets: { storage_secret_key: false, llm_api_keys: ["openai"], keyring_error: null, ...secrets },
    default_user_id: "alex",
    first_run: false,
    settings_error: null,
    ...rest,
  };
}

export function projectItem(slug: string, overrides: Partial<ProjectListItem> = {}): ProjectListItem {
  return {
    slug,
    name: slug.replace(/-/g, " "),
    status: "complete",
    files: 6,
    bytes: 12_345,
    updated_at: "2026-03-01T10:00:00Z",
    idea: `An app called ${slug}`,
    problem: null,
    activity: null,
    ...overrides,
  };
}

/** A project as `project_get` returns it, with a manifest. */
export function projectDetails(slug: string, overrides: Partial<Manifest> = {}): ProjectDetails {
  const files = [
    { path: "backend/main.py", bytes: 1200 },
    { path: "frontend/index.html", bytes: 300 },
    { path: "frontend/src/App.jsx", bytes: 2048 },
    { path: "README.md", bytes: 500 },
  ];
  return {
    slug,
    source: "manifest",
    files: files.map((f) => ({ ...f, sha256: "ab".repeat(32), content_type: "text/plain" })),
    manifest: {
      schema_version: 1,
      status: "complete",
      name: "Todo List",
      idea: "A to-do list with filters",
      plan: { name: "Todo List", summary: "", stack: "fastapi-react", contract: { models: [], endpoints: [], notes: "" }, files: [] },
      provider: "OpenAI",
      model: "gpt-4.1-mini",
      files: files.map((f) => ({ ...f, sha256: "ab".repeat(32), content_type: "text/plain", attempts: 1 })),
      usage: { prompt_tokens: 10_000, completion_tokens: 2_345, estimated: false, cost_usd: 0.0312 },
      timings: { started_at: "2026-03-01T10:00:00Z", finished_at: "2026-03-01T10:01:05Z", elapsed_ms: 65_000 },
      revision: 2,
      error: null,
      ...overrides,
    },
    activity: null,
  };
}

/** One version of a project as `project_history` lists it. */
export function revision(number: number, overrides: Partial<Revision> = {}): Revision {
  return {
    schema_version: 1,
    number,
    parent: number > 1 ? number - 1 : null,
    kind: number > 1 ? "changed" : "generated",
    request: number > 1 ? `Change number ${number}` : "A to-do list with filters",
    summary: "",
    restored_from: null,
    files: ["backend/main.py", "frontend/index.html", "frontend/src/App.jsx", "README.md"].map((path) => ({ path, sha256: "ab".repeat(32), bytes: 100 })),
    changes: [],
    plan: { name: "Todo List", summary: "", stack: "fastapi-react", contract: { models: [], endpoints: [], notes: "" }, files: [] },
    usage: { prompt_tokens: 0, completion_tokens: 0, estimated: false, cost_usd: null },
    provider: "OpenAI",
    model: "gpt-4.1-mini",
    created_at: `2026-03-0${number}T10:00:00Z`,
    elapsed_ms: 1_000,
    ...overrides,
  };
}

/** A project generated, changed once by asking and once by hand: version 3 is current. */
export function todoHistory(): ProjectHistory {
  return {
    slug: "todo",
    current: 3,
    revisions: [
      revision(1, {
        summary: "Add tasks, tick them off and filter them by state.",
        usage: { prompt_tokens: 10_000, completion_tokens: 2_345, estimated: false, cost_usd: 0.0312 },
        elapsed_ms: 65_000,
      }),
      revision(2, {
        request: "Add a due date to each task",
        summary: "Each task now has a due date, shown beside its title.",
        changes: [
          { path: "backend/main.py", change: "modified", lines_added: 5, lines_removed: 1 },
          { path: "frontend/src/App.jsx", change: "modified", lines_added: 12, lines_removed: 3 },
          { path: "frontend/src/DueDate.jsx", change: "added", lines_added: 20, lines_removed: 0 },
          { path: "README.md", change: "removed", lines_added: 0, lines_removed: 7 },
        ],
        usage: { prompt_tokens: 3_000, completion_tokens: 800, estimated: false, cost_usd: 0.011 },
        elapsed_ms: 42_000,
      }),
      revision(3, {
        kind: "edited_by_hand",
        request: "Edited by hand",
        summary: "frontend/src/App.jsx edited by hand.",
        changes: [{ path: "frontend/src/App.jsx", change: "modified", lines_added: 1, lines_removed: 1 }],
        elapsed_ms: 300,
      }),
    ],
  };
}
