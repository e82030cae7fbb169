// Which syntax a project file is highlighted with, from its name alone.

export type LanguageId = "python" | "javascript" | "jsx" | "typescript" | "tsx" | "json" | "css" | "html" | "markdown";

const BY_EXTENSION: Record<string, LanguageId> = {
  py: "python",
  pyi: "python",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "jsx",
  ts: "typescript",
  tsx: "tsx",
  json: "json",
  css: "css",
  scss: "css",
  html: "html",
  htm: "html",
  svg: "html",
  md: "markdown",
};

/** The language of `path`, or null for plain text (requirements.txt, Dockerfile, …). */
export function languageFor(path: string): LanguageId | null {
  const name = path.split("/").pop() ?? path;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null;
}

export const LANGUAGE_NAMES: Record<LanguageId, string> = {
  python: "Python",
  javascript: "JavaScript",
  jsx: "JavaScript (JSX)",
  typescript: "TypeScript",
  tsx: "TypeScript (TSX)",
  json: "JSON",
  css: "CSS",
  html: "HTML",
  markdown: "Markdown",
};
