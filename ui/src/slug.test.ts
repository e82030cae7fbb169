import { describe, expect, it } from "vitest";
import { isValidName, slugify } from "./slug";

describe("slugify", () => {
  it("gives the same short names as the engine for its own examples", () => {
    expect(slugify("My Todo App!")).toBe("my-todo-app");
    expect(slugify("  Café  Crème ")).toBe("cafe-creme");
    expect(slugify("2048 -- game")).toBe("2048-game");
    expect(slugify("--a--")).toBe("a");
  });

  it("folds accents and compatibility characters to plain letters", () => {
    expect(slugify("Ångström Ünïcödé")).toBe("angstrom-unicode");
    expect(slugify("ﬁle ①")).toBe("file-1");
  });

  it("cuts to 63 characters without leaving a trailing dash", () => {
    expect(slugify(`${"a".repeat(62)} tail`)).toBe("a".repeat(62));
    const long = slugify("word ".repeat(40));
    expect(long).not.toBeNull();
    expect(long!.length).toBeLessThanOrEqual(63);
    expect(long!.endsWith("-")).toBe(false);
  });

  it("leaves the short name to the engine when it has no Latin letters or digits, or other scripts too", () => {
    for (const name of ["", "!!!", "   ", "日本語", "🚀✨", "Мой Todo", "Straße"]) expect(slugify(name)).toBeNull();
  });

  it("only ever produces names the engine accepts", () => {
    for (const name of ["Hello, World", "ÉCOLE 42", "a".repeat(100), "x-y_z.w"]) {
      expect(isValidName(slugify(name)!)).toBe(true);
    }
  });
});

describe("isValidName", () => {
  it("accepts lowercase letters, digits and inner dashes up to 63 characters", () => {
    expect(isValidName("alice")).toBe(true);
    expect(isValidName("bob-2")).toBe(true);
    expect(isValidName("x".repeat(63))).toBe(true);
  });

  it("refuses capitals, spaces, a leading dash and names that are too long", () => {
    expect(isValidName("Alice")).toBe(false);
    expect(isValidName("a b")).toBe(false);
    expect(isValidName("-a")).toBe(false);
    expect(isValidName("x".repeat(64))).toBe(false);
    expect(isValidName("")).toBe(false);
  });
});
