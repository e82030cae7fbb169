import { describe, expect, it } from "vitest";
import { FILE_KINDS } from "../bindings/fileKinds";
import { LANGUAGE_NAMES, languageFor } from "./languages";

describe("the code view's languages", () => {
  it("highlight every file type the engine's table gives a language, in any case", () => {
    const withLanguage = FILE_KINDS.filter((kind) => kind.language !== null);
    expect(withLanguage.length).toBeGreaterThan(5);
    for (const kind of withLanguage) {
      expect(languageFor(`src/file.${kind.extension}`)).toBe(kind.language);
      expect(languageFor(`src/FILE.${kind.extension.toUpperCase()}`)).toBe(kind.language);
      expect(LANGUAGE_NAMES[kind.language!]).toBeTruthy();
    }
  });

  it("show the table's plain-text types and unknown names as plain text", () => {
    for (const kind of FILE_KINDS.filter((k) => k.language === null)) {
      expect(languageFor(`notes.${kind.extension}`)).toBeNull();
    }
    expect(languageFor("archive.zip")).toBeNull();
    expect(languageFor(".gitignore")).toBeNull();
  });
});
