import { describe, expect, it } from "vitest";
import { buildTree, preferredFile, visibleRows } from "./file-tree";

const PATHS = ["frontend/src/App.jsx", "README.md", "backend/main.py", "frontend/index.html", "frontend/src/main.jsx"];

describe("the file tree", () => {
  it("puts folders before files and sorts each level by name", () => {
    const rows = visibleRows(buildTree(PATHS), new Set());
    expect(rows.map((r) => `${"  ".repeat(r.depth)}${r.node.name}`)).toEqual([
      "backend",
      "  main.py",
      "frontend",
      "  src",
      "    App.jsx",
      "    main.jsx",
      "  index.html",
      "README.md",
    ]);
  });

  it("hides everything inside a closed folder", () => {
    const rows = visibleRows(buildTree(PATHS), new Set(["frontend"]));
    expect(rows.map((r) => r.node.path)).toEqual(["backend", "backend/main.py", "frontend", "README.md"]);
  });

  it("sorts numbered names the way people read them", () => {
    const rows = visibleRows(buildTree(["step10.md", "step2.md"]), new Set());
    expect(rows.map((r) => r.node.name)).toEqual(["step2.md", "step10.md"]);
  });

  it("records each row's parent folder for keyboard navigation", () => {
    const rows = visibleRows(buildTree(PATHS), new Set());
    expect(rows.find((r) => r.node.path === "frontend/src/App.jsx")?.parent).toBe("frontend/src");
    expect(rows.find((r) => r.node.path === "README.md")?.parent).toBeNull();
  });
});

describe("preferredFile", () => {
  it("opens the app's main component first", () => {
    expect(preferredFile(PATHS)).toBe("frontend/src/App.jsx");
    expect(preferredFile(["index.html", "src/App.tsx"])).toBe("src/App.tsx");
  });

  it("falls back to the first file, or nothing for an empty project", () => {
    expect(preferredFile(["b.py", "a.py"])).toBe("b.py");
    expect(preferredFile([])).toBeNull();
  });
});
