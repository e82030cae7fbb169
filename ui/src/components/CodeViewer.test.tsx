import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
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

/** A screen that holds the text, as the project page does: each edit comes back in as `text`. */
function EditableFile({ editing, onEdit }: { editing: boolean; onEdit: (text: string) => void }) {
  const [text, setText] = useState("print('one')\n");
  return (
    <CodeViewer
      path="a.py"
      text={text}
      editing={editing}
      onEdit={(next) => {
        onEdit(next);
        setText(next);
      }}
    />
  );
}

describe("the code viewer as an editor", () => {
  const firstLine = () => screen.getByTestId("code-viewer").querySelector(".cm-line")!;

  it("ignores typing while read-only", async () => {
    const onEdit = vi.fn();
    const user = userEvent.setup();
    render(<EditableFile editing={false} onEdit={onEdit} />);
    await waitFor(() => expect(firstLine().textContent).toBe("print('one')"));
    await user.click(firstLine());
    await user.keyboard("xyz");
    expect(firstLine().textContent).toBe("print('one')");
    expect(onEdit).not.toHaveBeenCalled();
  });

  it("reports every keystroke once editing, and never loses one to the text coming back", async () => {
    const onEdit = vi.fn();
    const user = userEvent.setup();
    const { rerender } = render(<EditableFile editing={false} onEdit={onEdit} />);
    await waitFor(() => expect(firstLine().textContent).toBe("print('one')"));
    rerender(<EditableFile editing onEdit={onEdit} />);
    const viewer = screen.getByTestId("code-viewer");
    await waitFor(() => expect(viewer.querySelector(".cm-content")).toHaveAttribute("aria-readonly", "false"));
    expect(viewer).toHaveAttribute("data-editing", "true");
    await user.click(firstLine());
    await user.keyboard("xyz");
    expect(firstLine().textContent).toBe("xyzprint('one')");
    expect(onEdit.mock.calls.map(([text]) => text)).toEqual(["xprint('one')\n", "xyprint('one')\n", "xyzprint('one')\n"]);
  });
});
