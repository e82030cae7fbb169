// Generated from the engine's file_kind.rs by `cargo test`; do not edit.
import type { FileKind } from "./FileKind";

export const FILE_KINDS: readonly FileKind[] = [
  {
    "extension": "py",
    "validator": "python",
    "content_type": "text/x-python",
    "preview": "url",
    "language": "python"
  },
  {
    "extension": "pyi",
    "validator": "python",
    "content_type": "text/x-python",
    "preview": "url",
    "language": "python"
  },
  {
    "extension": "js",
    "validator": "script",
    "content_type": "text/javascript",
    "preview": "script",
    "language": "javascript"
  },
  {
    "extension": "mjs",
    "validator": "script",
    "content_type": "text/javascript",
    "preview": "script",
    "language": "javascript"
  },
  {
    "extension": "cjs",
    "validator": "script",
    "content_type": "text/javascript",
    "preview": "script",
    "language": "javascript"
  },
  {
    "extension": "jsx",
    "validator": "script",
    "content_type": "text/jsx",
    "preview": "script",
    "language": "jsx"
  },
  {
    "extension": "ts",
    "validator": "script",
    "content_type": "text/typescript",
    "preview": "script",
    "language": "typescript"
  },
  {
    "extension": "tsx",
    "validator": "script",
    "content_type": "text/tsx",
    "preview": "script",
    "language": "tsx"
  },
  {
    "extension": "json",
    "validator": "json",
    "content_type": "application/json",
    "preview": "json",
    "language": "json"
  },
  {
    "extension": "css",
    "validator": "css",
    "content_type": "text/css",
    "preview": "style",
    "language": "css"
  },
  {
    "extension": "scss",
    "validator": "text",
    "content_type": "text/x-scss",
    "preview": "url",
    "language": "css"
  },
  {
    "extension": "html",
    "validator": "html",
    "content_type": "text/html",
    "preview": "url",
    "language": "html"
  },
  {
    "extension": "htm",
    "validator": "html",
    "content_type": "text/html",
    "preview": "url",
    "language": "html"
  },
  {
    "extension": "md",
    "validator": "text",
    "content_type": "text/markdown",
    "preview": "url",
    "language": "markdown"
  },
  {
    "extension": "txt",
    "validator": "text",
    "content_type": "text/plain",
    "preview": "url",
    "language": null
  },
  {
    "extension": "toml",
    "validator": "toml",
    "content_type": "application/toml",
    "preview": "url",
    "language": null
  },
  {
    "extension": "yaml",
    "validator": "yaml",
    "content_type": "application/yaml",
    "preview": "url",
    "language": null
  },
  {
    "extension": "yml",
    "validator": "yaml",
    "content_type": "application/yaml",
    "preview": "url",
    "language": null
  },
  {
    "extension": "svg",
    "validator": "svg",
    "content_type": "image/svg+xml",
    "preview": "url",
    "language": "html"
  },
  {
    "extension": "ini",
    "validator": "text",
    "content_type": "text/plain",
    "preview": "url",
    "language": null
  },
  {
    "extension": "cfg",
    "validator": "text",
    "content_type": "text/plain",
    "preview": "url",
    "language": null
  },
  {
    "extension": "sql",
    "validator": "text",
    "content_type": "application/sql",
    "preview": "url",
    "language": null
  },
  {
    "extension": "csv",
    "validator": "text",
    "content_type": "text/csv",
    "preview": "url",
    "language": null
  },
  {
    "extension": "sh",
    "validator": "text",
    "content_type": "text/x-shellscript",
    "preview": "url",
    "language": null
  },
  {
    "extension": "lock",
    "validator": "text",
    "content_type": "text/plain",
    "preview": "url",
    "language": null
  },
  {
    "extension": "example",
    "validator": "text",
    "content_type": "text/plain",
    "preview": "url",
    "language": null
  },
  {
    "extension": "sample",
    "validator": "text",
    "content_type": "text/plain",
    "preview": "url",
    "language": null
  }
];
