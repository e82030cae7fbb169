// Which syntax a project file is highlighted with, from its name alone: the engine's file-type table decides.

import { FILE_KINDS } from "../bindings/fileKinds";
import type { Language } from "../bindings/Language";

export type LanguageId = Language;

const BY_EXTENSION: ReadonlyMap<string, LanguageId> = new Map(
  FILE_KINDS.flatMap((kind) => (kind.language ? [[kind.extension, kind.language] as const] : [])),
);

/** The language of `path`, or null for plain text (requirements.txt, Dockerfile, …). */
export function languageFor(path: string): LanguageId | null {
  const name = path.split("/").pop() ?? path;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  return BY_EXTENSION.get(name.slice(dot + 1).toLowerCase()) ?? null;
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
