import { render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { languageFor } from "../codeview/languages";
import CodeViewer from "./CodeViewer";

describe("languageFor", () => {
  it("knows every kind of file a generated project has", () => {
    expect(
      ["a.py", "a.jsx", "a.tsx", "a.ts", "a.js", "a.json", "a.css", "a.html", "README.md"].map(languageFor),
    ).toEqual(["python", "jsx", "tsx", "typescript", "javascript", "json", "css", "html", "markdown"]);
  });

  it("shows files it has no grammar for as plain text", () => {
    expect(languageFor("backend/requirements.txt")).toBeNull();
    expect(languageFor("Dockerfile")).toBeNull();
    expect(languageFor(".gitignore")).toBeNull();
  });
});

describe("the code viewer", () => {
  it("highlights a JSX file read-only once its grammar has loaded", async () => {
    const source = 'export default function App() {\n  return <h1 className="title">Hello</h1>;\n}\n';
    render(<CodeViewer path="frontend/src/App.jsx" text={source} />);
    const viewer = screen.getByTestId("code-viewer");
    expect(viewer).toHaveAttribute("data-language", "jsx");
    await waitFor(() => expect(viewer).toHaveAttribute("data-highlighted", "true"), { timeout: 5000 });
    const content = viewer.querySelector(".cm-content")!;
    expect(content.textContent).toContain('return <h1 className="title">Hello</h1>;');
    expect(content).toHaveAttribute("aria-readonly", "true");
    // Highlighting wraps tokens such as `export` and the tag name in styled spans.
    await waitFor(() => {
      const tokens = Array.from(content.querySelectorAll(".cm-line span")).map((s) => s.textContent);
      expect(tokens).toContain("export");
      expect(tokens).toContain("h1");
    });
  });

  it("shows the new file when another one is opened", async () => {
    const { rerender } = render(<CodeViewer path="a.py" text={"print('one')\n"} />);
    const viewer = screen.getByTestId("code-viewer");
    await waitFor(() => expect(viewer.querySelector(".cm-content")?.textContent).toContain("print('one')"));
    rerender(<CodeViewer path="b.css" text={"body { color: red; }\n"} />);
    await waitFor(() => expect(viewer.querySelector(".cm-content")?.textContent).toContain("body { color: red; }"));
    expect(viewer).toHaveAttribute("data-language", "css");
  });
});
